// Victim selector: among slots that are not busy, an invalid slot first, else the valid slot
// with the lowest keep score under the selected policy; ties go to the lowest index.
// A balanced tournament tree keeps the depth at log2(S). See ../blocks/victim_select.md.
module oc_victim_select #(
    parameter int S  = 4,
    parameter int LW = 2,
    parameter int FW = 4,
    parameter int SW = $clog2(S)
) (
    input  logic [S-1:0]    st_valid,
    input  logic [S*SW-1:0] st_age,
    input  logic [S*FW-1:0] st_freq,
    input  logic [S*LW-1:0] st_layer,
    input  logic [S-1:0]    busy,
    input  logic [1:0]      policy,     // 0 LRU, 1 LFU, 2 HOBBIT-style, 3 = LRU
    input  logic [LW-1:0]   cur_layer,
    output logic            found,
    output logic [SW-1:0]   victim
);
    localparam int KW = 1 + FW + SW + LW + 1;   // {valid, score}; score fits FW+SW+LW+1 bits

    // Node n of the tree (1 = root, S..2S-1 = leaves) lives at slice n of these packed vectors;
    // one always_comb computes leaves first, then parents, so no signal feeds itself.
    logic [2*S*KW-1:0] nkey;
    logic [2*S-1:0]    ncand;
    logic [2*S*SW-1:0] nidx;

    always_comb begin
        logic [SW-1:0] age, rec;
        logic [FW-1:0] freq;
        logic [LW-1:0] ldist, near;
        logic [KW-2:0] score;
        logic          take_r;
        nkey = '0; ncand = '0; nidx = '0;
        for (int j = 0; j < S; j++) begin
            age   = st_age[j*SW +: SW];
            freq  = st_freq[j*FW +: FW];
            ldist = st_layer[j*LW +: LW] - cur_layer - LW'(1);
            rec   = ~age;                       // S-1-age, S a power of two
            near  = ~ldist;                     // 2**LW-1-ldist
            case (policy)
                2'd1:    score = (KW-1)'({freq, rec});
                2'd2:    score = (KW-1)'(rec) + (KW-1)'(freq) + (KW-1)'(near);
                default: score = (KW-1)'(rec);
            endcase
            nkey[(S+j)*KW +: KW] = st_valid[j] ? {1'b1, score} : '0;
            ncand[S+j]           = !busy[j];
            nidx[(S+j)*SW +: SW] = SW'(j);
        end
        for (int n = S - 1; n >= 1; n--) begin
            take_r = ncand[2*n+1] && (!ncand[2*n] || nkey[(2*n+1)*KW +: KW] < nkey[(2*n)*KW +: KW]);
            nkey[n*KW +: KW] = take_r ? nkey[(2*n+1)*KW +: KW] : nkey[(2*n)*KW +: KW];
            nidx[n*SW +: SW] = take_r ? nidx[(2*n+1)*SW +: SW] : nidx[(2*n)*SW +: SW];
            ncand[n]         = ncand[2*n] || ncand[2*n+1];
        end
    end

    assign found  = ncand[1];
    assign victim = nidx[SW +: SW];
    wire _unused_ok = &{1'b0, nkey[KW-1:0], ncand[0], nidx[SW-1:0]};
endmodule
