`timescale 1 ps/1 ps
// rtlgen smoke problem: a clocked design with a synchronous reset.
module tb();
  reg clk = 0;
  initial forever #5 clk = ~clk;
  reg reset;
  wire [3:0] q_ref, q_dut;
  integer errors = 0, clocks = 0;
  RefModule good (.clk(clk), .reset(reset), .q(q_ref));
  TopModule dut (.clk(clk), .reset(reset), .q(q_dut));
  initial begin
    reset = 1;
    repeat (2) @(negedge clk);
    reset = 0;
    repeat (60) @(negedge clk) reset = ($random % 16 == 0);
    #1 $finish;
  end
  always @(posedge clk, negedge clk) begin
    clocks = clocks + 1;
    if (q_ref !== (q_ref ^ q_dut ^ q_ref)) errors = errors + 1;
  end
  final begin
    $display("Hint: Output 'q' has %0d mismatches.", errors);
    $display("Mismatches: %1d in %1d samples", errors, clocks);
  end
  initial begin
    #1000000
    $display("TIMEOUT");
    $finish();
  end
endmodule
