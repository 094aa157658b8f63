`timescale 1 ps/1 ps
// rtlgen smoke problem: random stimulus, compare TopModule against RefModule.
module tb();
  reg clk = 0;
  initial forever #5 clk = ~clk;
  reg a, b;
  wire out_ref, out_dut;
  integer errors = 0, clocks = 0;
  RefModule good (.a(a), .b(b), .out(out_ref));
  TopModule dut (.a(a), .b(b), .out(out_dut));
  initial begin
    a = 0; b = 0;
    repeat (40) @(negedge clk) begin a = $random; b = $random; end
    #1 $finish;
  end
  always @(posedge clk) begin
    clocks = clocks + 1;
    if (out_ref !== (out_ref ^ out_dut ^ out_ref)) errors = errors + 1;
  end
  final begin
    $display("Hint: Total mismatched samples is %1d out of %1d samples\n", errors, clocks);
    $display("Simulation finished at %0d ps", $time);
    $display("Mismatches: %1d in %1d samples", errors, clocks);
  end
  initial begin
    #1000000
    $display("TIMEOUT");
    $finish();
  end
endmodule
