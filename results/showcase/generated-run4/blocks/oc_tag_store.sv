module oc_tag_store (
    input wire clk,
    input wire rst_n,
    input wire [EW-1:0] lk_id,
    output logic lk_hit,
    output logic [SW-1:0] lk_slot,
    output logic lk_lowp,
    output logic lk_pf,
    output logic [LW-1:0] upd_en,
    output logic [SW-1:0] upd_fill,
    output logic [S-1:0] st_valid,
    output logic [S*SW-1:0] st_age,
    output logic [S*FW-1:0] st_freq,
    output logic [S*LW-1:0] st_layer
);

// Embedded IntelHardDrse
reg [EW-1:0] slot_pin;
reg [S-1:0] slot_pin_op;
reg [S*SW-1:0] slot_pin_op_op;
reg [S*LW-1:0] slot_pin_op_op_op;
reg [S*LW-1:0] slot_pin_op_op_op_op;
reg [S*LW-1:0] slot_pin_op_op_op_op_op;
reg [SW-1:0] slot_pin_op_op_op_op_op;
reg [SW-1:0] slot_pin_op_op_op_op_op_op;
reg [SW-1:0] slot_pin_op_op_op_op_op_op_op;
reg [S*SW-1:0] slot_pin_op_op_op_op_op_op_op;
reg [S*SW-1:0] slot_pin_op_op_op_op_op_op_op_op_op;
reg [S*SW-1:0] slot_pin_op_op_op_op_op_op_op_op_op_op;
reg [S*SW-1:0] slot_pin_op_op_op_op_op_op_op_op_op_op_op_op;
reg [S*SW-1:0] slot_pin_op_op_op_op_op_op_op_op_op_op_op_op_op;
reg [S*SW-1:0] slot_pin_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op;
reg [S*SW-1:0] slot_pin_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op;
reg [S*SW-1:0] slot_pin_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op;
reg [S*SW-1:0] slot_pin_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op_op;
reg [S*SW-1:0] slot_pin_op_
endmodule
