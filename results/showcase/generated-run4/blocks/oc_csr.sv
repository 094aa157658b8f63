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

    reg s_axil_awvalid;

    assign s_axil_awvalid = s_axil_awvalid && s_axil_awready;

    always @(posedge clk or posedge rst_n) begin
        if (rst_n) begin
            s_axil_awvalid <= 1'b0;
            policy <= 2'd0;
        end else if (s_axil_awvalid) begin
            policy <= s_axil_awvalid ? 2'd1 : 2'd0;
        end else begin
            policy <= 2'd0;
        end
    end

    always @(posedge clk or posedge rst_n) begin
        if (rst_n) begin
            s_axil_awvalid <= 1'b0;
            policy <= 2'd0;
        end else if (s_axil_awvalid) begin
            policy <= s_axil_awvalid ? 2'd0 : 2'd1;
        end else begin
            policy <= 2'd0;
        end
    end

    assign pf_en = (policy == 2'd1);

    assign s_axil_bresp = s_axil_bvalid ? 1'b1 : 1'b0;

    assign ev_hit = s_axil_awvalid ? s_axil_awready ? 1'd1 : 1'd0;
    assign ev_miss = s_axil_awvalid ? s_axil_awready ? 1'd1 : 1'd0;
    assign ev_lowp = s_axil_awvalid ? s_axil_wvalid ? 1'd1 : 1'd0;
    assign ev_pf
endmodule
