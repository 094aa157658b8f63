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
    input  logic dma_req_ready,
    output logic [EW-1:0] dma_req_id,
    output logic dma_req_lowp,
    output logic [SW-1:0] dma_req_slot,
    input  logic dma_ack_valid,
    output logic idle
);

    reg [EW-1:0] data;
    reg [SW-1:0] in_lowp;
    reg [SW-1:0] in_slot;
    reg [EW-1:0] dma_req_id;
    reg [SW-1:0] dma_req_lowp;
    reg [SW-1:0] dma_req_slot;

    always @(posedge clk) begin
        if (rst_n) begin
            data <= {EW-1:0};
            dma_req_valid <= 1'b0;
            dma_req_id <= 1'b0;
            dma_req_lowp <= 1'b0;
            dma_req_slot <= 1'b0;
        end else begin
            dma_req_valid <= 1'b1;
            dma_req_id <= 1'b1;
            dma_req_lowp <= data[EW-1:0];
            dma_req_slot <= data[SW-1:0];
            in_lowp <= in_valid ? in_slot : in_lowp;
            in_slot <= in_valid ? in_slot : in_slot;
        end
    end

    always @(posedge clk) begin
        if (rst_n) begin
            data <= {EW-1:0};
            dma_req_valid <= 1'b1;
            dma_req_id <= 1'b1;
            dma_req_lowp <= 1'b0;
            dma_req_slot <= 1'b0;
        end else begin
            dma_req_valid <= 1'b0;
            dma_req_id <= 1'b1;
            dma_req_lowp <= in_lowp ? dma_req_lowp : dma_req_lowp;
            dma_req_slot <= in_slot ? dma_req_slot : dma_req_slot;
        end
    end

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

    reg s_axil_awvalid, s_axil_awready;
    reg [1:0] s_axil_awpos, s_axil_awvalid;
    reg s_axil_awready, s_axil_bvalid;
    reg [1:0] s_axil_arvalid, s_axil_arready;
    reg [1:0] s_axil_rresp, s_axil_rvalid;
    reg [1:0] s_axil_rpos, s_axil_rvalid;
    reg [1:0] s_axil_rresp, s_axil_rvalid;

    always @(*) begin
        s_axil_awvalid = s_axil_awvalid && s_axil_awvalid;
        s_axil_awpos = s_axil_awpos && s_axil_awvalid;
        s_axil_arvalid = s_axil_arvalid && s_axil_arvalid;
        s_axil_rresp = s_axil_rresp && s_axil_rvalid;
        s_axil_rpos = s_axil_rpos && s_axil_rvalid;
        s_axil_rresp = s_axil_rresp && s_axil_rvalid;
    end

    assign pf_en = s_axil_arpready;

    always @(posedge clk) begin
        if (rst_n) begin
            s_axil_awvalid <= 1'b0;
            s_axil_awpos <= 1'b0;
            s_ax
endmodule

// ---- offload_controller ----
module offload_controller #(
    parameter int E = 16,
    parameter int S = 4,
    parameter int K = 2,
    parameter int GW = 8
) (
    input  logic clk,
    input  logic rst_n,
    input  logic req_valid,
    output logic req_ready,
    input [KE-1:0] req_ids,
    input [K-1:0] req_gates,
    input [GW-1:0] req_layer,
    output logic rsp_valid,
    input [K-1:0] req_id,
    input [GW-1:0] req_addr,
    input [K-1:0] req_frame,
    input [K-1:0] req_frame_valid,
    input [K-1:0] req_frame_id,
    input [GW-1:0] req_frame_addr,
    input [K-1:0] req_frame_lowp,
    input [GW-1:0] req_frame_highp,
    input [K-1:0] req_frame_offset,
    input [KE-1:0] req_frame_version,
    input [K-1:0] req_frame_id,
    input [GW-1:0] req_frame_valid,
    input [KE-1:0] req_frame_id_valid,
    output logic pf_valid,
    output logic pf_ready,
    input [KE-1:0] req_id,
    input [KE-1:0] req_addr,
    input [K-1:0] req_frame,
    input [K-1:0] req_frame_valid,
    input [KE-1:0] req_frame_id,
    input [KE-1:0] req_frame_id_valid,
    output logic pf_ready,
    output logic [K-1:0] pf_id,
    output logic [KE-1:0] pf_addr,
    output logic pf_frame,
    output logic [K-1:0] pf_id_valid,
    output logic pf_frame_id_valid,
    input [K-1:0] pf_frame_id_valid,
    output logic pf_frame_id_valid,
    input [KE-1:0] pf_frame_id_valid,
    output logic pf_id_valid,
    input [KE-1:0] pf_frame_id_valid,
    output logic pf_id_id_valid,
    output logic pf_frame_id_valid,
    input [KE-1:0] pf_frame_id_id,
    input [KE-1:0] pf_frame_id_id_valid,
    output logic pf_id_valid,
    output logic pf_id_id_valid,
    input [KE-1:0] pf_id_id_valid,
    output logic pf_id_id_valid,
    output logic pf_frame_id_valid,
    output logic [KE-1:0] pf_frame_id_valid,
    input [KE-1:0] pf_frame_id_valid,
    output logic pf_frame_id_id_valid,
    input [KE-1:0] pf_frame_id_id_valid,
    output logic pf_frame_id_
endmodule
