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
    output logic dma_req_ready,
    output logic [EW-1:0] dma_req_id,
    output logic dma_req_lowp,
    output logic [SW-1:0] dma_req_slot,
    output logic dma_ack_valid,
    output logic idle
);

wire dma_req_valid;
assign dma_req_valid = dma_req_valid;

always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
        dma_req_valid <= 1'b0;
        dma_req_ready <= 1'b0;
    end else begin
        if (in_valid) begin
            dma_req_valid <= dma_req_valid;
            if (in_lowp) dma_req_lowp <= in_lowp;
            if (in_slot) dma_req_slot <= in_slot;
            if (in_slot != in_slot && !dma_req_valid) dma_req_id <= in_idle;
        end else begin
            if (dma_ack_valid) begin
                dma_req_id <= in_idle;
                if (in_slot != in_slot && !dma_req_valid) dma_req_id <= in_idle;
            end
        end
    end
end

assign dma_ack_valid = dma_ack_valid && !dma_req_valid;

endmodule
