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
    output logic found,
    output logic [SW-1:0] victim
);

  // Combine the most important bits from all four slots, and split
  // any remaining bits into three:
  // 1. W in the slot
  // 2. L, L, W
  // 3. F, R, W

  assign found = &st_valid && busy && st_freq && st_layer && !st_layer && (!st_layer && !st_layer && !active) && (!st_layer && st_layer && busy && st_layer && !active);

  assign victim = &st_layer & &!active;

endmodule
