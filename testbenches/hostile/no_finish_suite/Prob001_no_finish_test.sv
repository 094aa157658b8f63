`timescale 1 ps/1 ps
// A testbench that never calls $finish: the clock runs forever and only the wall-clock limit ends it.
module tb();
  reg clk = 0;
  always #5 clk = ~clk;
  reg a = 0, b = 0;
  wire out_ref, out_dut;
  integer errors = 0, clocks = 0;
  RefModule good (.a(a), .b(b), .out(out_ref));
  TopModule dut (.a(a), .b(b), .out(out_dut));
  always @(posedge clk) begin
    clocks = clocks + 1;
    a = $random; b = $random;
    if (out_ref !== out_dut) errors = errors + 1;
  end
  final $display("Mismatches: %1d in %1d samples", errors, clocks);
endmodule
