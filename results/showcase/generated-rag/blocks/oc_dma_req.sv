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

    reg [EW-1:0] data;
    reg [SW-1:0] in_lowp;
    reg [SW-1:0] in_slot;
    reg [EW-1:0] dma_req_id;
    reg [SW-1:0] dma_req_lowp;
    reg [SW-1:0] dma_req_slot;

    always @(posedge clk) begin
        if (rst_n) begin
            data <= {EW-1:0};
            dma_req_valid <= 1'b0;
            dma_req_id <= 1'b0;
            dma_req_lowp <= 1'b0;
            dma_req_slot <= 1'b0;
        end else begin
            dma_req_valid <= 1'b1;
            dma_req_id <= 1'b1;
            dma_req_lowp <= data[EW-1:0];
            dma_req_slot <= data[SW-1:0];
            in_lowp <= in_valid ? in_slot : in_lowp;
            in_slot <= in_valid ? in_slot : in_slot;
        end
    end

    always @(posedge clk) begin
        if (rst_n) begin
            data <= {EW-1:0};
            dma_req_valid <= 1'b1;
            dma_req_id <= 1'b1;
            dma_req_lowp <= 1'b0;
            dma_req_slot <= 1'b0;
        end else begin
            dma_req_valid <= 1'b0;
            dma_req_id <= 1'b1;
            dma_req_lowp <= in_lowp ? dma_req_lowp : dma_req_lowp;
            dma_req_slot <= in_slot ? dma_req_slot : dma_req_slot;
        end
    end

endmodule
