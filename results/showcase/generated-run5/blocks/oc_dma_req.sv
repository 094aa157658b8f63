module oc_dma_req #(
    parameter int EW = 3,
    parameter int SW = 2,
    parameter int OW = 8
) (
    input  logic clk,
    input  logic rst_n,
    input  logic in_valid,
    output logic in_ready,
    input  logic [EW-1:0] in_id,
    input  logic [SW-1:0] in_lowp,
    input  logic [SW-1:0] in_slot,
    output logic dma_req_valid,
    input  logic dma_req_ready,
    output logic [EW-1:0] dma_req_id,
    output logic dma_req_lowp,
    output logic [SW-1:0] dma_req_slot,
    input  logic dma_ack_valid,
    output logic idle
);

    assign dma_req_id = in_id;
    assign dma_req_lowp = in_lowp;
    assign dma_req_slot = in_slot;

    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            dma_req_id <= 1'b0;
            dma_req_lowp <= 1'b0;
            dma_req_slot <= 1'b0;
            dma_ack_valid <= 1'b0;
        end else begin
            dma_req_id <= dma_req_id;
            dma_req_lowp <= dma_req_lowp;
            dma_req_slot <= dma_req_slot;
            dma_ack_valid <= dma_ack_valid;
        end
    end

    assign dma_ack_valid = dma_req_valid;

    assign in_valid = in_ready;

    // Setup
    assign in_id = in_id;
    assign in_lowp = in_lowp;
    assign in_slot = in_slot;

    // Buffer
    wire [EW-1:0] _bubble_buf = in_id ? INIT_BUBBLE : in_id ? _bubble_buf[WP_OFFSET:0] : _bubble_buf[WP_OFFSET:1];

    // Request to the DMA engine
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            dma_req_id <= 1'b0;
            dma_req_lowp <= 1'b0;
            dma_req_slot <= 1'b0;
            dma_ack_valid <= 1'b0;
        end else begin
            dma_req_id <= dma_req_id;
            dma_req_lowp <= dma_req_lowp;
            dma_req_slot <= dma_req_slot;
            dma_ack_valid <= dma_ack_valid;
        end
    end

endmodule
