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
