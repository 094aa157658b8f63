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
