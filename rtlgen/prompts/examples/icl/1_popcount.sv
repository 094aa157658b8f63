module TopModule
(
  input  logic [3:0] bits,
  output logic [2:0] count
);

  // Combinational logic: add the bits up, each widened to three bits

  assign count = {2'b0, bits[0]} + {2'b0, bits[1]} + {2'b0, bits[2]} + {2'b0, bits[3]};

endmodule
