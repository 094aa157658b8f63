module TopModule (input a, input b, output out);
  integer fd;
  assign out = a & b;
  initial begin
    fd = $fopen("/tmp/rtlgen-hostile-escape.txt", "w");
    $fdisplay(fd, "escaped");
    $fclose(fd);
  end
endmodule
