module TopModule
(
  input  logic       clk,
  input  logic       reset,
  input  logic       enable,
  output logic [3:0] q
);

  // Sequential logic

  always @( posedge clk ) begin
    if ( reset )
      q <= 4'd0;
    else if ( enable )
      q <= q + 4'd1;
  end

endmodule
