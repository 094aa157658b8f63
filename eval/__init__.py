"""rtlgen's measuring stick: sandboxed simulation, benchmark loaders, benchmark contamination
(Rouge-L / n-gram rule, `eval.contamination`), scoring and reports.

This package imports nothing from the other rtlgen packages, so any of them can depend on it.
"""
