// Compares the counter with a model for 40 cycles, with a reset in the middle.
module tb;
  reg clk = 0, reset = 1;
  wire [3:0] q;
  reg [3:0] model;
  integer cycle, errors;
  TopModule dut (.clk(clk), .reset(reset), .q(q));
  always #5 clk = ~clk;
  initial begin
    errors = 0;
    model = 0;
    for (cycle = 0; cycle < 40; cycle = cycle + 1) begin
      reset = (cycle < 2) || (cycle == 20);
      @(posedge clk);
      model = reset ? 4'd0 : model + 4'd1;
      #1;
      if (q !== model) begin
        $display("FAIL: cycle %0d: q=%0d expected %0d", cycle, q, model);
        errors = errors + 1;
      end
    end
    $display("Mismatches: %0d in 40 samples", errors);
    $finish;
  end
endmodule
