module oc_dma_req #(
    parameter int EW = 3,
    parameter int SW = 2,
    parameter int OW = 8
) (
    input  logic clk,
    input  logic rst_n,
    input  logic in_valid,
    output logic in_ready,
    input  logic [EW-1:0] in_id,
    input  logic in_lowp,
    input  logic [SW-1:0] in_slot,
    output logic dma_req_valid,
    input  logic dma_req_ready,
    output logic [EW-1:0] dma_req_id,
    output logic dma_req_lowp,
    output logic [SW-1:0] dma_req_slot,
    input  logic dma_ack_valid,
    output logic idle
);

module oc_dma_req
{
  input  logic clk,
  input  logic [3:0] logic
  input  logic [3:0] logic
  input  logic [3:0:0]
  output logic [3:0:0];

  input  logic [3:0:0]
  output logic [3:0:0];

  output logic [3:0:0];

  input logic in_id,
  output logic in_idle,
  output logic in_idle;

  input logic [3:0:0]
  output logic in_idle,
  output logic in_idle;

  input logic [3:0:0]
  output logic in_idle,
  output logic in_idle;

  input logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  input logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  input logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  input logic [3:0:0]
  output logic in_idle,
  output logic in_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [3:0:0]
  output logic out_idle,
  output logic out_idle;

  output logic [
endmodule
