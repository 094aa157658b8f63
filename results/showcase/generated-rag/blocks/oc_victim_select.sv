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

  always @(posedge clk or negedge reset) begin
    if (!reset) begin
      found <= 1'b0;
    end else begin
      if (policy && busy) begin
        found <= 1'b1;
      end else if (st_age != st_valid) begin
        found <= 1'b0;
      end
    end
  end

  assign victim = (found & (policy & st_age)) & (ST_DEPTH - (policy & st_age - 1));
endmodule
