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
endmodule

// ---- oc_tag_store ----
module oc_tag_store (
  input clk,
  input rst_n,
  input logic [EW-1:0] lk_id,
  input logic lk_hit,
  input logic [SW-1:0] lk_slot,
  input logic [EW-1:0] upd_en,
  input logic upd_fill,
  input logic [SW-1:0] upd_slot,
  input logic [EW-1:0] upd_id,
  input logic upd_lowp,
  output logic [S-1:0] st_valid,
  output logic [S*SW-1:0] st_age,
  output logic [S*FW-1:0] st_freq,
  output logic [S*LW-1:0] st_layer
);

endmodule

// ---- oc_dma_req ----
module oc_dma_req #(
    parameter int EW = 3,
    parameter int SW = 2,
    parameter int OW = 8
) (
    input  logic [EW-1:0] in_valid,
    input  logic [SW-1:0] in_id,
    input  logic [SW-1:0] in_lowp,
    input  logic [SW-1:0] in_slot,
    output logic dma_req_valid,
    input [EW-1:0] dma_req_id,
    input [SW-1:0] dma_req_lowp,
    output logic [SW-1:0] dma_req_slot,
    input  logic dma_ack_valid,
    output logic idle
);

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
    output logic [31:0] s_axil_bresp,
    output logic s_axil_bvalid,
    input  logic s_axil_bready,
    input  logic [7:0] s_axil_araddr,
    input  logic s_axil_arvalid,
    output logic s_axil_arready,
    output logic [1:0] s_axil_bresp,
    output logic s_axil_bvalid,
    input  logic s_axil_bready,
    input  logic [7:0] s_axil_rdata,
    input  logic [3:0] s_axil_rresp,
    input  logic [9:0] s_axil_rvalid,
    input  logic [1:0] s_axil_rready,
    output logic [GW-1:0] threshold
);

use [BEGIN]_fsm_single;
use
endmodule

// ---- offload_controller ----
module offload_controller #(
    parameter int E = 16,
    parameter int S = 4,
    parameter int K = 2,
    parameter int GW = 8,
    parameter int LW = 2,
    parameter int FW = 4,
    parameter int FULL_BYTES = 4096,
    parameter int LOW_BYTES = 1024,
    parameter int EW = (E > 2) ? $clog2(E) : 1,
    parameter int SW = (SW > 0) ? 3 : 1
) (
    input  logic [ESW-1:0] req_id,
    input  logic [LW-1:0] req_id,
    input  logic [EN-1:0] req_id_en,
    input  logic [GW-1:0] req_id_g,
    input  logic [LW-1:0] req_id_l,
    input  logic [W-1:0] req_id_w,
    input  logic [K-1:0] req_id_k,
    output logic [FW-1:0] req_id_w_en
);

// [BEGIN]
endmodule
