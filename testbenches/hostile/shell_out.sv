module TopModule (input a, input b, output out);
  assign out = a & b;
  initial $system("touch /tmp/rtlgen-hostile-system.txt");
endmodule
