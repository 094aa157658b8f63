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
