module TopModule (input a, input b, output out);
  reg toggle = 0;
  assign out = a & b;
  initial forever toggle = ~toggle;
endmodule
