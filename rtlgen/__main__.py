"""`python -m rtlgen …`: the CLI where the `rtlgen` script is not installed (a GPU machine with only
PYTHONPATH set), e.g. `python -m rtlgen rag tune-embedder out=… data=…`."""

import sys

from rtlgen.cli import main

sys.exit(main())
