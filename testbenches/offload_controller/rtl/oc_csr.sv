// AXI4-Lite control/status block: CTRL (policy, prefetch enable), THRESH, INFO, CLEAR and the
// event counters. See ../blocks/csr.md for the register map.
module oc_csr #(
    parameter int E  = 8,
    parameter int S  = 4,
    parameter int K  = 2,
    parameter int GW = 8
) (
    input  logic          clk,
    input  logic          rst_n,
    // AXI4-Lite slave (byte addresses, 32-bit data)
    input  logic [7:0]    s_axil_awaddr,
    input  logic          s_axil_awvalid,
    output logic          s_axil_awready,
    input  logic [31:0]   s_axil_wdata,
    input  logic [3:0]    s_axil_wstrb,
    input  logic          s_axil_wvalid,
    output logic          s_axil_wready,
    output logic [1:0]    s_axil_bresp,
    output logic          s_axil_bvalid,
    input  logic          s_axil_bready,
    input  logic [7:0]    s_axil_araddr,
    input  logic          s_axil_arvalid,
    output logic          s_axil_arready,
    output logic [31:0]   s_axil_rdata,
    output logic [1:0]    s_axil_rresp,
    output logic          s_axil_rvalid,
    input  logic          s_axil_rready,
    // events (one count each per cycle)
    input  logic          ev_hit,
    input  logic          ev_miss,
    input  logic          ev_lowp,
    input  logic          ev_pf_load,
    input  logic          ev_pf_hit,
    input  logic          ev_bytes_en,
    input  logic [31:0]   ev_bytes,
    // configuration
    output logic [1:0]    policy,
    output logic          pf_en,
    output logic [GW-1:0] threshold
);
    logic [31:0] c_hits, c_misses, c_lowp, c_pf_loads, c_pf_hits;
    logic [63:0] c_bytes;

    wire        wr  = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
    wire [5:0]  wa  = s_axil_awaddr[7:2];
    wire [31:0] bm  = {{8{s_axil_wstrb[3]}}, {8{s_axil_wstrb[2]}}, {8{s_axil_wstrb[1]}}, {8{s_axil_wstrb[0]}}};
    wire [31:0] ctrl_q   = {27'd0, pf_en, 2'd0, policy};
    wire [31:0] thresh_q = 32'(threshold);
    wire [31:0] ctrl_d   = (ctrl_q & ~bm) | (s_axil_wdata & bm);
    wire [31:0] thresh_d = (thresh_q & ~bm) | (s_axil_wdata & bm);
    wire        clr = wr && (wa == 6'h03) && (s_axil_wstrb != 4'd0);

    wire _unused_ok = &{1'b0, s_axil_awaddr[1:0], s_axil_araddr[1:0], ctrl_d[31:5], ctrl_d[3:2],
                        thresh_d[31:GW]};

    assign s_axil_awready = wr;
    assign s_axil_wready  = wr;
    assign s_axil_bresp   = 2'b00;
    assign s_axil_rresp   = 2'b00;
    assign s_axil_arready = !s_axil_rvalid;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            policy <= 2'd0; pf_en <= 1'b0; threshold <= '0;
            s_axil_bvalid <= 1'b0;
        end else begin
            if (wr) begin
                s_axil_bvalid <= 1'b1;
                if (wa == 6'h00) begin policy <= ctrl_d[1:0]; pf_en <= ctrl_d[4]; end
                if (wa == 6'h01) threshold <= thresh_d[GW-1:0];
            end else if (s_axil_bready) begin
                s_axil_bvalid <= 1'b0;
            end
        end
    end

    always_ff @(posedge clk) begin
        if (!rst_n || clr) begin
            c_hits <= '0; c_misses <= '0; c_lowp <= '0; c_pf_loads <= '0; c_pf_hits <= '0;
            c_bytes <= '0;
        end else begin
            if (ev_hit)      c_hits     <= c_hits + 32'd1;
            if (ev_miss)     c_misses   <= c_misses + 32'd1;
            if (ev_lowp)     c_lowp     <= c_lowp + 32'd1;
            if (ev_pf_load)  c_pf_loads <= c_pf_loads + 32'd1;
            if (ev_pf_hit)   c_pf_hits  <= c_pf_hits + 32'd1;
            if (ev_bytes_en) c_bytes    <= c_bytes + 64'(ev_bytes);
        end
    end

    logic [31:0] rd;
    wire  [5:0]  ra = s_axil_araddr[7:2];
    wire  [31:0] bytes_lo = c_bytes[31:0];
    wire  [31:0] bytes_hi = c_bytes[63:32];
    always_comb begin
        case (ra)
            6'h00:   rd = ctrl_q;
            6'h01:   rd = thresh_q;
            6'h02:   rd = {16'(E), 8'(S), 8'(K)};
            6'h04:   rd = c_hits;
            6'h05:   rd = c_misses;
            6'h06:   rd = c_lowp;
            6'h07:   rd = c_pf_loads;
            6'h08:   rd = c_pf_hits;
            6'h09:   rd = bytes_lo;
            6'h0a:   rd = bytes_hi;
            default: rd = 32'd0;
        endcase
    end

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            s_axil_rvalid <= 1'b0;
            s_axil_rdata  <= '0;
        end else if (s_axil_arvalid && s_axil_arready) begin
            s_axil_rvalid <= 1'b1;
            s_axil_rdata  <= rd;
        end else if (s_axil_rready) begin
            s_axil_rvalid <= 1'b0;
        end
    end
endmodule
