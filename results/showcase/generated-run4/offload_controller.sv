// Assembled by rtlgen hierarchical generation: oc_victim_select, oc_tag_store, oc_dma_req, oc_csr, offload_controller

// ---- oc_victim_select ----
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

// ---- oc_tag_store ----
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

// ---- oc_dma_req ----
module oc_dma_req #(
    parameter int EW = 3,
    parameter int SW = 2,
    parameter int OW = 8
) (
    input  logic clk,
    input  logic rst_n,
    input  logic in_valid,
    output logic in_ready,
    input  logic [EW-1:0] in_id,
    input  logic [SW-1:0] in_lowp,
    input  logic [SW-1:0] in_slot,
    output logic dma_req_valid,
    output logic dma_req_ready,
    output logic [EW-1:0] dma_req_id,
    output logic dma_req_lowp,
    output logic [SW-1:0] dma_req_slot,
    output logic dma_ack_valid,
    output logic idle
);

wire dma_req_valid;
assign dma_req_valid = dma_req_valid;

always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
        dma_req_valid <= 1'b0;
        dma_req_ready <= 1'b0;
    end else begin
        if (in_valid) begin
            dma_req_valid <= dma_req_valid;
            if (in_lowp) dma_req_lowp <= in_lowp;
            if (in_slot) dma_req_slot <= in_slot;
            if (in_slot != in_slot && !dma_req_valid) dma_req_id <= in_idle;
        end else begin
            if (dma_ack_valid) begin
                dma_req_id <= in_idle;
                if (in_slot != in_slot && !dma_req_valid) dma_req_id <= in_idle;
            end
        end
    end
end

assign dma_ack_valid = dma_ack_valid && !dma_req_valid;

endmodule

// ---- oc_csr ----
module oc_csr #(
    parameter int E = 8,
    parameter int S = 4,
    parameter int K = 2,
    parameter int GW = 8
) (
    input  logic clk,
    input  logic rst_n,
    input  logic [7:0] s_axil_awaddr,
    input  logic s_axil_awvalid,
    output logic s_axil_awready,
    input  logic [31:0] s_axil_wdata,
    input  logic [3:0] s_axil_wstrb,
    input  logic s_axil_wvalid,
    output logic s_axil_wready,
    output logic [1:0] s_axil_bresp,
    output logic s_axil_bvalid,
    input  logic s_axil_bready,
    input  logic [7:0] s_axil_araddr,
    input  logic s_axil_arvalid,
    output logic s_axil_arready,
    output logic [31:0] s_axil_rdata,
    output logic [1:0] s_axil_rresp,
    output logic s_axil_rvalid,
    input  logic s_axil_rready,
    input  logic ev_hit,
    input  logic ev_miss,
    input  logic ev_lowp,
    input  logic ev_pf_load,
    input  logic ev_pf_hit,
    input  logic ev_bytes_en,
    input  logic [31:0] ev_bytes,
    output logic [1:0] policy,
    output logic pf_en,
    output logic [GW-1:0] threshold
);

    reg s_axil_awvalid;

    assign s_axil_awvalid = s_axil_awvalid && s_axil_awready;

    always @(posedge clk or posedge rst_n) begin
        if (rst_n) begin
            s_axil_awvalid <= 1'b0;
            policy <= 2'd0;
        end else if (s_axil_awvalid) begin
            policy <= s_axil_awvalid ? 2'd1 : 2'd0;
        end else begin
            policy <= 2'd0;
        end
    end

    always @(posedge clk or posedge rst_n) begin
        if (rst_n) begin
            s_axil_awvalid <= 1'b0;
            policy <= 2'd0;
        end else if (s_axil_awvalid) begin
            policy <= s_axil_awvalid ? 2'd0 : 2'd1;
        end else begin
            policy <= 2'd0;
        end
    end

    assign pf_en = (policy == 2'd1);

    assign s_axil_bresp = s_axil_bvalid ? 1'b1 : 1'b0;

    assign ev_hit = s_axil_awvalid ? s_axil_awready ? 1'd1 : 1'd0;
    assign ev_miss = s_axil_awvalid ? s_axil_awready ? 1'd1 : 1'd0;
    assign ev_lowp = s_axil_awvalid ? s_axil_wvalid ? 1'd1 : 1'd0;
    assign ev_pf
endmodule

// ---- offload_controller ----
module offload_controller #(
    parameter int E = 16,
    parameter int S = 4,
    parameter int K = 2,
    parameter int P = 2,
    parameter int D = 3,
    parameter GW = (E > 2) ? $clog2(E) : 1
) (
    input  wire                 clk,
    input  wire                 rst_n,
    input  wire                 req_valid,
    output wire                 req_ready,
    input  wire [K*E-1:0] req_ids,
    input  wire [K*GW-1:0] req_gates,
    input  wire [LW-1:0] req_layer,
    output wire [P-1:0] rsp_valid,
    output wire [P-1:0] rsp_ready,
    output wire [1:0] rsp_hit,
    output wire [1:0] rsp_lowp,
    input  wire                 rel_valid,
    output wire [7:0] s_axil_awaddr,
    input  wire [7:0] s_axil_awvalid,
    input  wire [7:0] s_axil_awready,
    output wire [7:0] s_axil_awready,
    output wire [1:0] s_axil_bresp,
    output wire [1:0] s_axil_bvalid,
    input  wire [7:0] s_axil_bready,
    input  wire [7:0] s_axil_araddr,
    input  wire [7:0] s_axil_arvalid,
    output wire [7:0] s_axil_arready,
    output wire [1:0] s_axil_rdata,
    output wire [1:0] s_axil_rresp,
    output wire [1:0] s_axil_rvalid,
    input  wire [7:0] s_axil_rready
);

reg [7:0] index;

always @(posedge clk or posedge rst_n) begin
    if (rst_n) begin
        index <= 0;
    end else begin
        index <= index + 1;
    end
end

assign dma_req_valid = req_valid;
assign dma_req_id = req_ids;
assign dma_req_lowp = (index == 0) ? pf_lowp : dma_req_id;
assign dma_req_slot = (index == 0) ? pf_slot : dma_req_lowp;

assign rsp_valid = pf_valid;
assign rsp_ready = pf_ready;

assign dma_req_hit = req_hit;
assign dma_req_hit_valid = dma_req_hit;
assign dma_req_hit_lowp = (index == 0) ? pf_lowp : dma_req_hit_valid;
assign dma_req_hit_lowp_valid = dma_req_hit_lowp_valid;

assign dma_req_lowp = (index == 0) ? pf_lowp : dma_req_hit;

assign dma_req_hit_hit = dma_req_hit_valid;
assign dma_req
endmodule
