module oc_csr #(
    parameter int E = 8,
    parameter int S = 4,
    parameter int K = 2,
    parameter int GW = 8
) (
    input  logic clk,
    input  logic rst_n,
    input  logic [7:0] s_axil_awaddr,
    input  logic s_axil_awvalid,
    output logic s_axil_awready,
    input  logic [31:0] s_axil_wdata,
    input  logic [3:0] s_axil_wstrb,
    input  logic s_axil_wvalid,
    output logic s_axil_wready,
    output logic [1:0] s_axil_bresp,
    output logic s_axil_bvalid,
    input  logic s_axil_bready,
    input  logic [7:0] s_axil_araddr,
    input  logic s_axil_arvalid,
    output logic s_axil_arready,
    output logic [31:0] s_axil_rdata,
    output logic [1:0] s_axil_rresp,
    output logic s_axil_rvalid,
    input  logic s_axil_rready,
    input  logic ev_hit,
    input  logic ev_miss,
    input  logic ev_lowp,
    input  logic ev_pf_load,
    input  logic ev_pf_hit,
    input  logic ev_bytes_en,
    input  logic [31:0] ev_bytes,
    output logic [1:0] policy,
    output logic pf_en,
    output logic [GW-1:0] threshold
);

    reg s_axil_awvalid, s_axil_awready;
    reg [1:0] s_axil_awpos, s_axil_awvalid;
    reg s_axil_awready, s_axil_bvalid;
    reg [1:0] s_axil_arvalid, s_axil_arready;
    reg [1:0] s_axil_rresp, s_axil_rvalid;
    reg [1:0] s_axil_rpos, s_axil_rvalid;
    reg [1:0] s_axil_rresp, s_axil_rvalid;

    always @(*) begin
        s_axil_awvalid = s_axil_awvalid && s_axil_awvalid;
        s_axil_awpos = s_axil_awpos && s_axil_awvalid;
        s_axil_arvalid = s_axil_arvalid && s_axil_arvalid;
        s_axil_rresp = s_axil_rresp && s_axil_rvalid;
        s_axil_rpos = s_axil_rpos && s_axil_rvalid;
        s_axil_rresp = s_axil_rresp && s_axil_rvalid;
    end

    assign pf_en = s_axil_arpready;

    always @(posedge clk) begin
        if (rst_n) begin
            s_axil_awvalid <= 1'b0;
            s_axil_awpos <= 1'b0;
            s_ax
endmodule
