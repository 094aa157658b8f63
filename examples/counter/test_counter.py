"""cocotb test for the counter example: `rtlgen generate examples/counter/spec.txt --tb examples/counter/test_counter.py`."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, Timer


@cocotb.test()
async def counts_and_wraps(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.reset.value = 1
    await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    dut.reset.value = 0
    expected = 0
    for _ in range(20):
        await RisingEdge(dut.clk)
        expected = (expected + 1) % 16
        await Timer(1, unit="ns")
        assert int(dut.q.value) == expected, f"q={int(dut.q.value)} expected {expected}"
