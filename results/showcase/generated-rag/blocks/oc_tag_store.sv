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

// Move to a new slot only if it is valid
always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
        upd_en <= 1'b0;
        st_valid <= 1'b0;
        st_age <= 1'b0;
        st_freq <= 1'b0;
        st_layer <= 1'b0;
    end else begin
        upd_en <= 1'b1;
        st_valid <= 1'b0;
        st_age <= st_valid;
        st_freq <= st_valid;
        st_layer <= st_valid;
    end
end

assign lk_hit = upd_en ? lk_slot : st_valid;
assign lk_lowp = upd_fill ? lk_slot : st_lowp;
assign lk_pf = upd_en ? lk_pin : st_pin;
assign upd_fill = upd_en ? upd_slot : st_fill;
assign upd_lowp = upd_fill ? upd_pin : st_lowp;
assign upd_pf = upd_en ? upd_pin : st_pin;
assign upd_fill = upd_en ? upd_pin : st_fill;
assign upd_slot = upd_en ? upd_pin : st_slot;
assign upd_id = upd_en ? upd_slot : st_id;
assign upd_lowp = upd_en ? upd_pin : st_lowp;
assign upd_pf = upd_en ? upd_pin : st_pfl;
assign upd_fill = upd_en ? upd_pin : st_fill;
assign upd_slot = upd_en ? upd_pin : st_slot;
assign upd_id = upd_en ? upd_pin : st_id;
assign upd_lowp = upd_en ? upd_pin : st_lowp;
assign upd_pf = upd_en ? upd_pin : st_pfl;
assign upd_fill = upd_en ? upd_pin : st_fill;
assign upd_slot = upd_en ? upd_pin : st_slot;
assign upd_id = upd_en ? upd_pin : st_id;
assign upd_lowp = upd_en ? upd_pin : st_lowp;
assign upd_pf = upd_en ? upd_pin : st_pfl;
assign upd_fill = upd_en ? upd_pin : st_fill;
assign upd_slot = upd_en ? upd_pin : st_slot;
assign upd_id = upd_en ? upd_pin : st_id;
assign
endmodule
