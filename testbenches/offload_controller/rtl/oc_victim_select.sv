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

    logic [KW-1:0] nkey  [1:2*S-1];
    logic          ncand [1:2*S-1];
    logic [SW-1:0] nidx  [1:2*S-1];

    genvar j, n;
    generate
        for (j = 0; j < S; j = j + 1) begin : g_leaf
            wire [SW-1:0] age  = st_age[j*SW +: SW];
            wire [FW-1:0] freq = st_freq[j*FW +: FW];
            wire [LW-1:0] ldist = st_layer[j*LW +: LW] - cur_layer - LW'(1);
            wire [SW-1:0] rec  = ~age;                      // S-1-age, S a power of two
            wire [KW-2:0] s_lru = (KW-1)'(rec);
            wire [KW-2:0] s_lfu = (KW-1)'({freq, rec});
            wire [KW-2:0] s_hob = (KW-1)'(rec) + (KW-1)'(freq) + (KW-1)'(~ldist);
            wire [KW-2:0] score = (policy == 2'd1) ? s_lfu : (policy == 2'd2) ? s_hob : s_lru;
            assign nkey[S+j]  = st_valid[j] ? {1'b1, score} : '0;
            assign ncand[S+j] = !busy[j];
            assign nidx[S+j]  = SW'(j);
        end
        for (n = S - 1; n >= 1; n = n - 1) begin : g_node
            wire take_r = ncand[2*n+1] && (!ncand[2*n] || nkey[2*n+1] < nkey[2*n]);
            assign nkey[n]  = take_r ? nkey[2*n+1] : nkey[2*n];
            assign ncand[n] = ncand[2*n] || ncand[2*n+1];
            assign nidx[n]  = take_r ? nidx[2*n+1] : nidx[2*n];
        end
    endgenerate

    assign found  = ncand[1];
    assign victim = nidx[1];
endmodule
