module TopModule (input a, input b, output out);
  reg [7:0] mem [0:3];
  assign out = a & b;
  initial $writememh("../rtlgen-hostile-parent.txt", mem);
endmodule
