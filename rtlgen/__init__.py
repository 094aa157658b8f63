"""rtlgen: natural-language spec in, Verilog that compiles and passes its tests out."""

__version__ = "0.1.0"
