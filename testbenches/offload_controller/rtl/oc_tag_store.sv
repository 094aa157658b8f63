// Tag store of the expert-offload controller: per-slot state, associative lookup and the two
// update operations (touch on a hit, fill on a load). See ../blocks/tag_store.md.
module oc_tag_store #(
    parameter int S  = 4,
    parameter int EW = 3,
    parameter int LW = 2,
    parameter int FW = 4,
    parameter int SW = $clog2(S)
) (
    input  logic            clk,
    input  logic            rst_n,
    // lookup (combinational)
    input  logic [EW-1:0]   lk_id,
    output logic            lk_hit,
    output logic [SW-1:0]   lk_slot,
    output logic            lk_lowp,
    output logic            lk_pf,
    // update (registered)
    input  logic            upd_en,
    input  logic            upd_fill,   // 1: fill slot with a new expert, 0: touch (demand hit)
    input  logic [SW-1:0]   upd_slot,
    input  logic [EW-1:0]   upd_id,
    input  logic            upd_lowp,
    input  logic            upd_pf,
    input  logic [LW-1:0]   upd_layer,
    // state for the victim selector
    output logic [S-1:0]    st_valid,
    output logic [S*SW-1:0] st_age,
    output logic [S*FW-1:0] st_freq,
    output logic [S*LW-1:0] st_layer
);
    logic [S-1:0]    st_lowp, st_pf, hit_vec;

    wire [SW-1:0] upd_age   = st_age[upd_slot*SW +: SW];
    wire          upd_valid = st_valid[upd_slot];

    genvar j;
    generate
        for (j = 0; j < S; j = j + 1) begin : g_slot
            logic          valid, lowp, pf;
            logic [EW-1:0] tag;
            logic [SW-1:0] age;
            logic [FW-1:0] freq;
            logic [LW-1:0] layer;
            always_ff @(posedge clk) begin
                if (!rst_n) begin
                    valid <= 1'b0; lowp <= 1'b0; pf <= 1'b0; tag <= '0;
                    age <= '0; freq <= '0; layer <= '0;
                end else if (upd_en) begin
                    if (upd_slot == SW'(j)) begin
                        age   <= '0;
                        layer <= upd_layer;
                        if (upd_fill) begin
                            valid <= 1'b1; tag <= upd_id; lowp <= upd_lowp; pf <= upd_pf;
                            freq  <= upd_pf ? '0 : FW'(1);
                        end else begin
                            pf <= 1'b0;
                            if (freq != {FW{1'b1}}) freq <= freq + FW'(1);
                        end
                    end else if (valid && (!upd_valid || age < upd_age)) begin
                        age <= age + SW'(1);
                    end
                end
            end
            assign st_valid[j]            = valid;
            assign st_lowp[j]             = lowp;
            assign st_pf[j]               = pf;
            assign st_age[j*SW +: SW]     = age;
            assign st_freq[j*FW +: FW]    = freq;
            assign st_layer[j*LW +: LW]   = layer;
            assign hit_vec[j]             = valid && (tag == lk_id);
        end
    endgenerate

    always_comb begin
        lk_slot = '0;
        for (int i = 0; i < S; i++) if (hit_vec[i]) lk_slot = SW'(i);
    end
    assign lk_hit  = |hit_vec;
    assign lk_lowp = st_lowp[lk_slot];
    assign lk_pf   = st_pf[lk_slot];
endmodule
