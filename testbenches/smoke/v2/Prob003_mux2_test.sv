`timescale 1 ps/1 ps
// rtlgen smoke problem: combinational datapath.
module tb();
  reg clk = 0;
  initial forever #5 clk = ~clk;
  reg sel;
  reg [7:0] a, b;
  wire [7:0] out_ref, out_dut;
  integer errors = 0, clocks = 0;
  RefModule good (.sel(sel), .a(a), .b(b), .out(out_ref));
  TopModule dut (.sel(sel), .a(a), .b(b), .out(out_dut));
  initial begin
    sel = 0; a = 0; b = 0;
    repeat (50) @(negedge clk) begin sel = $random; a = $random; b = $random; end
    #1 $finish;
  end
  always @(posedge clk) begin
    clocks = clocks + 1;
    if (out_ref !== (out_ref ^ out_dut ^ out_ref)) errors = errors + 1;
  end
  final $display("Mismatches: %1d in %1d samples", errors, clocks);
  initial begin
    #1000000
    $display("TIMEOUT");
    $finish();
  end
endmodule
