module offload_controller #(
    parameter int E = 16,
    parameter int S = 4,
    parameter int K = 2,
    parameter int P = 2,
    parameter int D = 3,
    parameter GW = (E > 2) ? $clog2(E) : 1
) (
    input  wire                 clk,
    input  wire                 rst_n,
    input  wire                 req_valid,
    output wire                 req_ready,
    input  wire [K*E-1:0] req_ids,
    input  wire [K*GW-1:0] req_gates,
    input  wire [LW-1:0] req_layer,
    output wire [P-1:0] rsp_valid,
    output wire [P-1:0] rsp_ready,
    output wire [1:0] rsp_hit,
    output wire [1:0] rsp_lowp,
    input  wire                 rel_valid,
    output wire [7:0] s_axil_awaddr,
    input  wire [7:0] s_axil_awvalid,
    input  wire [7:0] s_axil_awready,
    output wire [7:0] s_axil_awready,
    output wire [1:0] s_axil_bresp,
    output wire [1:0] s_axil_bvalid,
    input  wire [7:0] s_axil_bready,
    input  wire [7:0] s_axil_araddr,
    input  wire [7:0] s_axil_arvalid,
    output wire [7:0] s_axil_arready,
    output wire [1:0] s_axil_rdata,
    output wire [1:0] s_axil_rresp,
    output wire [1:0] s_axil_rvalid,
    input  wire [7:0] s_axil_rready
);

reg [7:0] index;

always @(posedge clk or posedge rst_n) begin
    if (rst_n) begin
        index <= 0;
    end else begin
        index <= index + 1;
    end
end

assign dma_req_valid = req_valid;
assign dma_req_id = req_ids;
assign dma_req_lowp = (index == 0) ? pf_lowp : dma_req_id;
assign dma_req_slot = (index == 0) ? pf_slot : dma_req_lowp;

assign rsp_valid = pf_valid;
assign rsp_ready = pf_ready;

assign dma_req_hit = req_hit;
assign dma_req_hit_valid = dma_req_hit;
assign dma_req_hit_lowp = (index == 0) ? pf_lowp : dma_req_hit_valid;
assign dma_req_hit_lowp_valid = dma_req_hit_lowp_valid;

assign dma_req_lowp = (index == 0) ? pf_lowp : dma_req_hit;

assign dma_req_hit_hit = dma_req_hit_valid;
assign dma_req
endmodule
