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
    input  logic [S-1:0] busy,
    input  logic [1:0] policy,
    input  logic [LW-1:0] cur_layer,
    output logic found,
    output logic [SW-1:0] victim
);
endmodule

// ---- oc_tag_store ----
module oc_tag_store
(
  input  logic clk,
  input  logic upd_en,
  input  logic upd_fill,
  input  logic [EW-1:0] upd_id,
  input  logic upd_id,
  input  logic upd_id,
  input  logic upd_id,
  input  logic [LW-1:0] upd_id,
  input  logic upd_id,
  input  logic upd_id,
  input  logic upd_id,
  input  logic upd_id,
  input  logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_id,
  output logic upd_
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
    input  logic in_lowp,
    input  logic [SW-1:0] in_slot,
    output logic dma_req_valid,
    input  logic dma_req_ready,
    output logic [EW-1:0] dma_req_id,
    output logic dma_req_lowp,
    output logic [SW-1:0] dma_req_slot,
    input  logic dma_ack_valid,
    output logic idle
);

module oc_dma_req
{
  input  logic clk,
  input  logic [3:0] logic
  input  logic [3:0] logic
  input  logic [3:0:0]
  output logic [3:0:0];

  input  logic [3:0:0]
  output logic [3:0:0];

  output logic [3:0:0];

  input logic in_id,
  output logic in_idle,
  output logic in_idle;

  input logic [3:0:0]
  output logic in_idle,
  output logic in_idle;

  input logic [3:0:0]
  output logic in_idle,
  output logic in_idle;

  input logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  input logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  input logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  input logic [3:0:0]
  output logic in_idle,
  output logic in_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [
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

module oc_csr
{
    input  logic clk,
    input  logic sst_n,
    input  logic [7:0] s_axil_awaddr,
    input  logic s_axil_awdata,
    input  logic s_axil_wdata,
    output logic s_axil_wdata,
    input  logic s_axil_wstrb,
    output  logic s_axil_wvalid,
    output  logic s_axil_wplat,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
    output  logic s_axil_wref,
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
    parameter int SW = $clog2(S)
) (
    input  logic clk,
    input  logic rst_n,
    input  logic in_valid,
    output logic in_ready,
    input  logic [K*EW-1:0] req_ids,
    input  logic [K*GW-1:0] req_gates,
    output logic [LW-1:0] req_layers,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layer,
    output logic [LW-1:0] req_layers,
    output logic dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0] dma_ns_comp,
    output logic [LW-1:0]
endmodule
