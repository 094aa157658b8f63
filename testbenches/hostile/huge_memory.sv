module TopModule (input a, input b, output out);
  // 2^30 words of 64 bits: far beyond the sandbox's address-space limit
  reg [63:0] mem [0:(1<<30)-1];
  integer i;
  initial for (i = 0; i < (1<<30); i = i + 1) mem[i] = i;
  assign out = a & b;
endmodule
