module offload_controller #(
    parameter int E = 16,
    parameter int S = 4,
    parameter int K = 2,
    parameter int GW = 8,
    parameter int LW = 2,
    parameter int FW = 4,
    parameter int FULL_BYTES = 4096,
    parameter int LOW_BYTES = 1024,
    parameter int EW = (E > 2) ? $clog2(E) : 1,
    parameter int SW = (SW > 0) ? 3 : 1
) (
    input  logic [ESW-1:0] req_id,
    input  logic [LW-1:0] req_id,
    input  logic [EN-1:0] req_id_en,
    input  logic [GW-1:0] req_id_g,
    input  logic [LW-1:0] req_id_l,
    input  logic [W-1:0] req_id_w,
    input  logic [K-1:0] req_id_k,
    output logic [FW-1:0] req_id_w_en
);

// [BEGIN]
endmodule
