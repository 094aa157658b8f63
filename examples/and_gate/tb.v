// Exhaustive check of the AND gate; prints FAIL on any wrong output, PASS at the end.
module tb;
  reg a, b;
  wire y;
  integer i, errors;
  TopModule dut (.a(a), .b(b), .y(y));
  initial begin
    errors = 0;
    for (i = 0; i < 4; i = i + 1) begin
      {a, b} = i[1:0];
      #1;
      if (y !== (a & b)) begin
        $display("FAIL: a=%b b=%b y=%b", a, b, y);
        errors = errors + 1;
      end
    end
    if (errors == 0) $display("PASS");
    $finish;
  end
endmodule
