// DMA request channel: a one-entry buffer that holds a load request stable until the DMA engine
// takes it (valid/ready), and a count of requests not yet acknowledged. See ../blocks/dma_req.md.
module oc_dma_req #(
    parameter int EW = 3,
    parameter int SW = 2,
    parameter int OW = 8
) (
    input  logic          clk,
    input  logic          rst_n,
    input  logic          in_valid,
    output logic          in_ready,
    input  logic [EW-1:0] in_id,
    input  logic          in_lowp,
    input  logic [SW-1:0] in_slot,
    output logic          dma_req_valid,
    input  logic          dma_req_ready,
    output logic [EW-1:0] dma_req_id,
    output logic          dma_req_lowp,
    output logic [SW-1:0] dma_req_slot,
    input  logic          dma_ack_valid,
    output logic          idle
);
    logic [OW-1:0] outstanding;
    wire take = dma_req_valid && dma_req_ready;
    wire ack  = dma_ack_valid && (outstanding != '0 || take);

    assign in_ready = !dma_req_valid;
    assign idle     = !dma_req_valid && (outstanding == '0);

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            dma_req_valid <= 1'b0;
            dma_req_id    <= '0;
            dma_req_lowp  <= 1'b0;
            dma_req_slot  <= '0;
            outstanding   <= '0;
        end else begin
            if (in_valid && in_ready) begin
                dma_req_valid <= 1'b1;
                dma_req_id    <= in_id;
                dma_req_lowp  <= in_lowp;
                dma_req_slot  <= in_slot;
            end else if (take) begin
                dma_req_valid <= 1'b0;
            end
            if (take && !ack)      outstanding <= outstanding + OW'(1);
            else if (!take && ack) outstanding <= outstanding - OW'(1);
        end
    end
endmodule
