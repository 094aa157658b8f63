// Assembled by rtlgen hierarchical generation: oc_victim_select, oc_tag_store, oc_dma_req, oc_csr, offload_controller

// ---- oc_victim_select ----
module oc_victim_select #(
    parameter int S = 4,
    parameter int LW = 2,
    parameter int FW = 4,
    parameter int SW = $clog2(S)
) (
    input  logic [S-1:0] st_valid,
    input  logic [S*SW-1:0] st_age,
    input  logic [S*FW-1:0] st_freq,
    input  logic [S*LW-1:0] st_layer,
    input  logic [S*LW-1:0] busy,
    input  logic [1:0] policy,
    input  logic [LW-1:0] cur_layer,
    output logic found,
    output logic [SW-1:0] victim
);

reg [LW-1:0] eq_s, eq_z, eq_eb;
reg [LW-1:0] time_st;
always @(posedge clk) begin
    if (!q) begin
        eq_s <= 0;
        eq_z <= 0;
        eq_eb <= 0;
        eq_eb <= 0;
    end else begin
        eq_s <= eq_s + 1'b0;
        eq_z <= eq_z + 1'b1;
        eq_eb <= eq_eb + 1'b1;
        eq_eb <= eq_eb + 1'b1;
    end
    if (eq_eb) begin
        eq_s <= 0;
        eq_z <= 0;
        eq_eb <= 0;
        eq_eb <= 0;
    end
    if (eq_eb) begin
        eq_s <= 0;
        eq_z <= 0;
        eq_eb <= 0;
        eq_eb <= 0;
    end
    if (eq_s) begin
        eq_s <= 0;
        eq_z <= 0;
        eq_eb <= 0;
        eq_eb <= 0;
    end
    if (eq_eb) begin
        eq_s <= 0;
        eq_z <= 0;
        eq_eb <= 0;
        eq_eb <= 0;
    end
    if (eq_s && eq_eb) begin
        if (!cur_layer) begin
            if (!busy) begin
                victim <= eq_s;
                eq_s <= 1'b0;
                eq_z <= 0;
                eq_eb <= 0;
            end
        end else begin
            if (!busy) begin
                victim <= eq_s;
                eq_s <= eq_s + 1'b1;
                eq_z <= 0;
                eq_eb <= 0;
                eq_eb <= 0;
                eq_eb <= 0;
            end
            if (eq_eb) begin
                eq_s <= 1'b0;
                eq_z <= 0;
                eq_eb <= 0;
                eq_eb <= 0;
            end
        end
    end
    else if (eq_s) begin
        if (!cur_layer) begin
            if (eq_eb) begin
                victim <= eq_s;
                eq_s <= eq_s + 1'b1;
                eq_z <= 0;
                eq_eb <= 0;
                eq_eb <= 0;
            end
        end else begin
            if (eq_eb) begin
                victim <= eq_s;
endmodule

// ---- oc_tag_store ----
module oc_tag_store (
    input  wire clk,
    input  wire rst_n,
    input  wire [EW-1:0] lk_id,
    output logic lk_hit,
    output logic [SW-1:0] lk_slot,
    output logic lk_lowp,
    output logic lk_pf,
    input  wire upd_en,
    input  wire upd_fill,
    input  wire [SW-1:0] upd_slot,
    input  wire [EW-1:0] upd_id,
    input  wire upd_lowp,
    input  wire upd_pf,
    input  wire [LW-1:0] upd_layer,
    output logic [S-1:0] st_valid,
    output logic [S*SW-1:0] st_age,
    output logic [S*FW-1:0] st_freq,
    output logic [S*LW-1:0] st_layer
);
    assign upd_en = upd_en || (st_valid & upd_fill);
    always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
            st_valid <= 1'b0;
            st_age <= 1'b0;
            st_freq <= 1'b0;
            st_layer <= 1'b0;
        end else if (st_valid & upd_fill) begin
            st_valid <= 1'b0;
            st_age <= upd_id;
            st_freq <= upd_id;
            st_layer <= upd_id;
        end else begin
            if (st_valid & upd_fill) begin
                st_valid <= 1'b0;
                st_age <= (st_age + 1) % 3;
                st_freq <= (st_freq + 1) % 3;
                st_layer <= (st_layer + 1) % 3;
            end else begin
                st_valid <= 1'b0;
                st_age <= 1'b0;
                st_freq <= 1'b0;
                st_layer <= 1'b0;
            end
        end
    end
end

assign upd_fill = upd_fill ? upd_fill : upd_en;
assign upd_lowp = upd_fill ? upd_fill : upd_en;
assign upd_pf = upd_fill ? upd_fill : upd_en;
assign upd_size = upd_fill ? upd_fill : upd_en;
assign upd_op = upd_fill ? upd_fill : upd_en;
assign upd_seq = upd_fill ? upd_fill : upd_en;
assign upd_type = upd_fill ? upd_fill : upd_en;
assign upd_level = upd_fill ? upd_fill : upd_en;

assign st_valid = upd_fill ? upd_valid : upd_fill ? upd_valid : st_valid;
assign st_age = upd_fill ? upd_size : upd_fill ? upd_size : st_age;
assign st_freq = upd_fill ? upd_size : upd_fill ? upd_size : st_freq;
assign st_layer = upd_fill ? upd_size : upd_fill ? upd_size : st_layer;

assign upd_seq = upd_fill ? upd_fill : upd_en;

endmodule

// ---- oc_dma_req ----
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

// ---- oc_csr ----
module oc_csr #(
    parameter int E = 8,
    parameter int S = 4,
    parameter int K = 2,
    parameter int GW = 8
) (
    input  logic clk,
    input  logic rst_n,
    input  logic [7:0] s_axil_awaddr,
    input  logic [7:0] s_axil_awvalid,
    output logic [7:0] s_axil_awready,
    input  logic [31:0] s_axil_awdata,
    output logic [3:0] s_axil_awresp,
    output logic s_axil_awvalid,
    input  logic s_axil_awready,
    output logic [3:0] s_axil_awvalid,
    output logic s_axil_awresp,
    output logic [6:0] s_axil_awdbuf,
    output logic s_axil_awresp,
    output logic [7:0] s_axil_awcmd,
    output logic s_axil_awvalid,
    output logic s_axil_awready,
    output logic [7:0] s_axil_bresp,
    output logic s_axil_bvalid,
    output logic s_axil_bready,
    output logic [31:0] s_axil_bready,
    output logic [1:0] s_axil_bvalid,
    output logic [7:0] s_axil_bresp,
    output logic [7:0] s_axil_bvalid,
    output logic [6:0] s_axil_bready,
    output logic [7:0] s_axil_bresp,
    output logic [7:0] s_axil_bvalid,
    output logic [7:0] s_axil_bready,
    output logic [1:0] s_axil_bvalid,
    output logic s_axil_bresp,
    output logic [1:0] s_axil_bvalid,
    output logic s_axil_bready,
    output logic [31:0] s_axil_bdata,
    output logic [3:0] s_axil_bresp,
    output logic [3:0] s_axil_bvalid,
    output logic s_axil_bready,
    output logic [4:0] s_axil_bvalid,
    output logic s_axil_bresp,
    output logic [7:0] s_axil_bdata,
    output logic [7:0] s_axil_bresp
);

    enet_mem #(
        .S(S),
        .GW(GW),
        .B(B),
        .C(C),
        .S(s_axil_awaddr),
        .A(s_axil_awvalid),
        .B(s_axil_awdata),
        .C(s_axil_awresp),
        .D(s_axil_awresp),
        .E(s_axil_awready),
        .P(s_axil_awready)
    ) s_csr(s_axil_awaddr, s_axil_awvalid, s_axil_awresp, s_axil_awdata, s_axil_awresp, s_axil_awvalid, s_axil_
endmodule

// ---- offload_controller ----
module offload_controller #(
    parameter int E = 16,
    parameter int S = 4,
    parameter int K = 2,
    parameter int P = 2,
    parameter int D = 3,
    parameter int GW = 8
) (
    input  logic clk,
    input  logic rst_n,
    input [E:0] req_id,
    input [S:0] req_ids,
    input [K:0] req_gates,
    input [LW:0] req_layer,
    output logic [P:0] rsp_valid,
    output logic [P:0] rsp_ready,
    output logic [P:0] pf_valid,
    output logic [P:0] pf_ready,
    output logic [P:0] dma_req_valid,
    output logic [P:0] dma_req_id,
    output logic [P:0] dma_req_lowp,
    output logic [SW:0] dma_req_slot,
    output logic [P:0] dma_ack_valid,
    output logic [P:0] dma_ack_lowp,
    output logic [GW-1:0] rel_valid,
    output logic rel_ready,
    input [P:0] rel_valid,
    input [P:0] rel_ready,
    output [P:0] dma_req_valid,
    output logic [P:0] dma_req_id,
    output logic [P:0] dma_req_lowp,
    output [GW-1:0] rel_ready,
    input [P:0] rel_valid,
    output [P:0] rel_ready,
    output [P:0] pf_valid,
    output [P:0] pf_ready,
    output [P:0] dma_req_valid,
    output logic [P:0] dma_req_lowp,
    output [GW-1:0] rel_ready,
    input [GW-1:0] rel_valid,
    output [GW:0] rel_ready,
    output [GW:0] dma_req_valid,
    output logic [GW:0] dma_req_id,
    output logic [GW:0] dma_req_lowp,
    output [GW:0] rel_ready,
    output [GW:0] rel_ready,
    output [GW:0] dma_req_valid,
    output logic [GW:0] dma_req_id,
    output logic [GW:0] dma_req_lowp,
    output [GW:0] rel_ready,
    output [GW:0] rel_ready,
    output [GW:0] dma_req_valid,
    output logic [GW:0] dma_req_id,
    output logic [GW:0] dma_req_lowp,
    output [GW-1:0] rel_ready,
    input [GW-1:0] rel_valid,
    output [GW:0] rel_ready,
    output logic [GW:0] dma_req_valid,
    output [GW:0] dma_req_id,
    output [GW:0] dma_req_lowp,
    output logic [GW:0] rel_ready,
    output [GW:0] rel_ready,
    output [GW:0] dma_req_valid
endmodule
