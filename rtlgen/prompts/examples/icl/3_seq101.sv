module TopModule
(
  input  logic clk,
  input  logic reset,
  input  logic din,
  output logic found
);

  // State encoding

  localparam IDLE = 2'd0;  // nothing useful seen
  localparam GOT1 = 2'd1;  // last bit was 1
  localparam GOT10 = 2'd2; // last bits were 1, 0
  localparam HIT = 2'd3;   // last bits were 1, 0, 1

  logic [1:0] state;
  logic [1:0] state_next;

  // State register

  always @( posedge clk ) begin
    if ( reset )
      state <= IDLE;
    else
      state <= state_next;
  end

  // Next-state logic

  always @(*) begin
    state_next = state;
    case ( state )
      IDLE:  state_next = din ? GOT1 : IDLE;
      GOT1:  state_next = din ? GOT1 : GOT10;
      GOT10: state_next = din ? HIT  : IDLE;
      HIT:   state_next = din ? GOT1 : GOT10;
      default: state_next = IDLE;
    endcase
  end

  // Output logic

  assign found = ( state == HIT );

endmodule
