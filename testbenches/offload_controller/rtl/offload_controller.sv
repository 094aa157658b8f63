// MoE expert-offload controller (reference implementation of ../spec.md).
// One sequential FSM serves router requests and prefetch hints one expert at a time:
// LOOK (tag lookup) -> hit: touch; miss: SEL (victim) -> ISSUE (DMA request) ... -> WAIT (all
// loads acknowledged) -> RESP (slots back to the router). Slots of the current job and of the
// tokens in flight (responded, not yet released) are busy and never evicted.
module offload_controller #(
    parameter int E  = 16,
    parameter int S  = 4,
    parameter int K  = 2,
    parameter int P  = 2,
    parameter int D  = 3,
    parameter int GW = 8,
    parameter int LW = 2,
    parameter int FW = 4,
    parameter int FULL_BYTES = 4096,
    parameter int LOW_BYTES  = 1024,
    parameter int EW = (E > 2) ? $clog2(E) : 1,
    parameter int SW = $clog2(S)
) (
    input  logic            clk,
    input  logic            rst_n,
    // router request
    input  logic            req_valid,
    output logic            req_ready,
    input  logic [K*EW-1:0] req_ids,
    input  logic [K*GW-1:0] req_gates,
    input  logic [LW-1:0]   req_layer,
    // response to the router
    output logic            rsp_valid,
    input  logic            rsp_ready,
    output logic [K*SW-1:0] rsp_slots,
    output logic [K-1:0]    rsp_hit,
    output logic [K-1:0]    rsp_lowp,
    // token release (oldest responded token no longer uses its slots)
    input  logic            rel_valid,
    output logic            rel_ready,
    // prefetch hint for the next layer
    input  logic            pf_valid,
    output logic            pf_ready,
    input  logic [P*EW-1:0] pf_ids,
    input  logic [LW-1:0]   pf_layer,
    // DMA load requests and acknowledgements (in order)
    output logic            dma_req_valid,
    input  logic            dma_req_ready,
    output logic [EW-1:0]   dma_req_id,
    output logic            dma_req_lowp,
    output logic [SW-1:0]   dma_req_slot,
    input  logic            dma_ack_valid,
    // AXI4-Lite CSR slave
    input  logic [7:0]      s_axil_awaddr,
    input  logic            s_axil_awvalid,
    output logic            s_axil_awready,
    input  logic [31:0]     s_axil_wdata,
    input  logic [3:0]      s_axil_wstrb,
    input  logic            s_axil_wvalid,
    output logic            s_axil_wready,
    output logic [1:0]      s_axil_bresp,
    output logic            s_axil_bvalid,
    input  logic            s_axil_bready,
    input  logic [7:0]      s_axil_araddr,
    input  logic            s_axil_arvalid,
    output logic            s_axil_arready,
    output logic [31:0]     s_axil_rdata,
    output logic [1:0]      s_axil_rresp,
    output logic            s_axil_rvalid,
    input  logic            s_axil_rready
);
    localparam int NMAX = (K > P) ? K : P;
    localparam int IW   = $clog2(NMAX + 1);
    localparam int CW   = $clog2(D + 1);

    localparam logic [2:0] IDLE = 3'd0, LOOK = 3'd1, SEL = 3'd2, ISSUE = 3'd3, STALL = 3'd4,
                            WAIT = 3'd5, RESP = 3'd6;
    logic [2:0] state;

    logic              mode_pf;                 // current job is a prefetch hint
    logic [IW-1:0]     idx;
    logic [K*EW-1:0]   ids_q;
    logic [K*GW-1:0]   gates_q;
    logic [P*EW-1:0]   pf_ids_q;
    logic [LW-1:0]     layer_q;
    logic [S-1:0]      cur_pin;
    logic [S-1:0]      fifo [0:D-1];
    logic [CW-1:0]     cnt;
    logic [EW-1:0]     iss_id;
    logic              iss_lowp;
    logic [SW-1:0]     iss_slot;

    // configuration
    logic [1:0]    policy;
    logic          pf_en;
    logic [GW-1:0] threshold;

    // tag store
    logic            lk_hit, lk_lowp, lk_pf;
    logic [SW-1:0]   lk_slot;
    logic            upd_en, upd_fill;
    logic [SW-1:0]   upd_slot;
    logic [S-1:0]    st_valid;
    logic [S*SW-1:0] st_age;
    logic [S*FW-1:0] st_freq;
    logic [S*LW-1:0] st_layer;
    // victim selector
    logic            v_found;
    logic [SW-1:0]   v_slot;
    logic [S-1:0]    busy;
    // DMA
    logic            dma_in_ready, dma_idle;

    wire [EW-1:0] cur_id   = mode_pf ? pf_ids_q[idx*EW +: EW] : ids_q[idx*EW +: EW];
    wire [GW-1:0] cur_gate = gates_q[idx*GW +: GW];
    wire          cur_lowp = !mode_pf && (cur_gate < threshold);
    wire [IW-1:0] last_idx = mode_pf ? IW'(P - 1) : IW'(K - 1);

    wire [K-1:0] kmask = {{(K-1){1'b0}}, 1'b1} << idx;   // one-hot of the current position

    always_comb begin
        busy = cur_pin;
        for (int i = 0; i < D; i++) busy = busy | fifo[i];
    end

    // handshakes
    wire can_rel   = (cnt != '0);
    wire can_req   = (cnt != CW'(D));
    assign rel_ready = ((state == IDLE) || (state == STALL)) && can_rel;
    assign req_ready = (state == IDLE) && can_req && !(rel_valid && can_rel);
    assign pf_ready  = (state == IDLE) && !(rel_valid && can_rel) && !(req_valid && can_req);
    assign rsp_valid = (state == RESP);
    wire rel_fire = rel_valid && rel_ready;
    wire req_fire = req_valid && req_ready;
    wire pf_fire  = pf_valid && pf_ready;
    wire rsp_fire = rsp_valid && rsp_ready;

    // tag-store updates: touch on a demand hit in LOOK, fill on a victim found in SEL
    wire look_hit = (state == LOOK) && lk_hit;
    wire sel_fill = (state == SEL) && v_found;
    wire iss_valid = (state == ISSUE);
    wire lowp_fill = sel_fill && cur_lowp;
    assign upd_en   = (look_hit && !mode_pf) || sel_fill;
    assign upd_fill = (state == SEL);
    assign upd_slot = (state == SEL) ? v_slot : lk_slot;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            state <= IDLE; mode_pf <= 1'b0; idx <= '0;
            ids_q <= '0; gates_q <= '0; pf_ids_q <= '0; layer_q <= '0;
            cur_pin <= '0; cnt <= '0;
            for (int i = 0; i < D; i++) fifo[i] <= '0;
            rsp_slots <= '0; rsp_hit <= '0; rsp_lowp <= '0;
            iss_id <= '0; iss_lowp <= 1'b0; iss_slot <= '0;
        end else begin
            case (state)
                IDLE: begin
                    idx <= '0;
                    cur_pin <= '0;
                    if (rel_fire) begin
                        for (int i = 0; i < D - 1; i++) fifo[i] <= fifo[i+1];
                        fifo[D-1] <= '0;
                        cnt <= cnt - CW'(1);
                    end else if (req_fire) begin
                        mode_pf <= 1'b0; ids_q <= req_ids; gates_q <= req_gates; layer_q <= req_layer;
                        state <= LOOK;
                    end else if (pf_fire && pf_en) begin
                        mode_pf <= 1'b1; pf_ids_q <= pf_ids; layer_q <= pf_layer;
                        state <= LOOK;
                    end
                end
                LOOK: begin
                    if (lk_hit) begin
                        if (!mode_pf) begin
                            cur_pin[lk_slot] <= 1'b1;
                            rsp_slots[idx*SW +: SW] <= lk_slot;
                            rsp_hit  <= rsp_hit | kmask;
                            rsp_lowp <= lk_lowp ? (rsp_lowp | kmask) : (rsp_lowp & ~kmask);
                        end
                        if (idx == last_idx) state <= WAIT;
                        else idx <= idx + IW'(1);
                    end else begin
                        state <= SEL;
                    end
                end
                SEL: begin
                    if (v_found) begin
                        cur_pin[v_slot] <= 1'b1;
                        iss_id <= cur_id; iss_lowp <= cur_lowp; iss_slot <= v_slot;
                        if (!mode_pf) begin
                            rsp_slots[idx*SW +: SW] <= v_slot;
                            rsp_hit  <= rsp_hit & ~kmask;
                            rsp_lowp <= cur_lowp ? (rsp_lowp | kmask) : (rsp_lowp & ~kmask);
                        end
                        state <= ISSUE;
                    end else if (mode_pf) begin
                        state <= WAIT;           // prefetch never stalls: drop the rest of the hint
                    end else begin
                        state <= STALL;
                    end
                end
                ISSUE: begin
                    if (dma_in_ready) begin
                        if (idx == last_idx) state <= WAIT;
                        else begin idx <= idx + IW'(1); state <= LOOK; end
                    end
                end
                STALL: begin
                    if (rel_fire) begin
                        for (int i = 0; i < D - 1; i++) fifo[i] <= fifo[i+1];
                        fifo[D-1] <= '0;
                        cnt <= cnt - CW'(1);
                        state <= SEL;
                    end
                end
                WAIT: begin
                    if (dma_idle) state <= mode_pf ? IDLE : RESP;
                end
                RESP: begin
                    if (rsp_fire) begin
                        for (int i = 0; i < D; i++) if (cnt == CW'(i)) fifo[i] <= cur_pin;
                        cnt <= cnt + CW'(1);
                        cur_pin <= '0;
                        state <= IDLE;
                    end
                end
                default: state <= IDLE;
            endcase
        end
    end

    oc_tag_store #(.S(S), .EW(EW), .LW(LW), .FW(FW), .SW(SW)) u_tags (
        .clk(clk), .rst_n(rst_n),
        .lk_id(cur_id), .lk_hit(lk_hit), .lk_slot(lk_slot), .lk_lowp(lk_lowp), .lk_pf(lk_pf),
        .upd_en(upd_en), .upd_fill(upd_fill), .upd_slot(upd_slot), .upd_id(cur_id),
        .upd_lowp(cur_lowp), .upd_pf(mode_pf), .upd_layer(layer_q),
        .st_valid(st_valid), .st_age(st_age), .st_freq(st_freq), .st_layer(st_layer));

    oc_victim_select #(.S(S), .LW(LW), .FW(FW), .SW(SW)) u_victim (
        .st_valid(st_valid), .st_age(st_age), .st_freq(st_freq), .st_layer(st_layer),
        .busy(busy), .policy(policy), .cur_layer(layer_q), .found(v_found), .victim(v_slot));

    oc_dma_req #(.EW(EW), .SW(SW), .OW(8)) u_dma (
        .clk(clk), .rst_n(rst_n),
        .in_valid(iss_valid), .in_ready(dma_in_ready),
        .in_id(iss_id), .in_lowp(iss_lowp), .in_slot(iss_slot),
        .dma_req_valid(dma_req_valid), .dma_req_ready(dma_req_ready), .dma_req_id(dma_req_id),
        .dma_req_lowp(dma_req_lowp), .dma_req_slot(dma_req_slot),
        .dma_ack_valid(dma_ack_valid), .idle(dma_idle));

    oc_csr #(.E(E), .S(S), .K(K), .GW(GW)) u_csr (
        .clk(clk), .rst_n(rst_n),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awvalid(s_axil_awvalid), .s_axil_awready(s_axil_awready),
        .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb), .s_axil_wvalid(s_axil_wvalid),
        .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp), .s_axil_bvalid(s_axil_bvalid),
        .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr), .s_axil_arvalid(s_axil_arvalid),
        .s_axil_arready(s_axil_arready), .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp),
        .s_axil_rvalid(s_axil_rvalid), .s_axil_rready(s_axil_rready),
        .ev_hit(look_hit && !mode_pf), .ev_miss(sel_fill && !mode_pf), .ev_lowp(lowp_fill),
        .ev_pf_load(sel_fill && mode_pf), .ev_pf_hit(look_hit && !mode_pf && lk_pf),
        .ev_bytes_en(sel_fill), .ev_bytes(lowp_fill ? 32'(LOW_BYTES) : 32'(FULL_BYTES)),
        .policy(policy), .pf_en(pf_en), .threshold(threshold));
endmodule
