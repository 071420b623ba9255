# Everything installs into ./.venv; torch is pinned through constraints.txt before anything else
# because any other torch spec pulls gigabytes of CUDA wheels.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
CONSTRAINTS := -c constraints.txt
VADER_SDIST := data/vendor/vaderSentiment-3.3.2.tar.gz
DEMO := data/demo
export OMP_NUM_THREADS ?= 1
export HF_HUB_OFFLINE := 1

.PHONY: install install-text test demo bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

install: $(PY)
	$(PIP) install $(CONSTRAINTS) torch==2.13.0
	$(PIP) install $(CONSTRAINTS) -e ".[dev]"

install-text: install
	$(PIP) install $(CONSTRAINTS) -e ".[dev,text]"

$(VADER_SDIST): | $(PY)
	mkdir -p $(dir $@)
	$(PIP) download --no-deps --no-binary :all: vadersentiment==3.3.2 -d $(dir $@)

test: install
	$(PY) -m pytest

# The main job: real embeddings of real reviews -> fit -> evaluate -> report table.
demo: install-text $(VADER_SDIST)
	mkdir -p $(DEMO)
	$(PY) examples/vader_embeddings.py --dataset amazonReviewSnippets --sdist $(VADER_SDIST) --out-dir $(DEMO)
	$(VENV)/bin/distilkit fit nbhead $(DEMO)/train.parquet --target label --features 'emb_*' -o $(DEMO)/nbhead.dkm
	$(VENV)/bin/distilkit fit nbhead $(DEMO)/train.parquet --target label --features 'emb_*' -p scaler=minmax -o $(DEMO)/nbhead_minmax.dkm
	$(VENV)/bin/distilkit evaluate $(DEMO)/nbhead.dkm $(DEMO)/test.parquet --target label --json $(DEMO)/nbhead.json
	$(VENV)/bin/distilkit evaluate $(DEMO)/nbhead_minmax.dkm $(DEMO)/test.parquet --target label --json $(DEMO)/nbhead_minmax.json
	$(VENV)/bin/distilkit report $(DEMO)/nbhead.json $(DEMO)/nbhead_minmax.json --html $(DEMO)/report.html

bench: install-text $(VADER_SDIST)
	$(PY) benchmarks/bench_nb_head.py --sdist $(VADER_SDIST)

clean:
	rm -rf $(VENV) data/demo .pytest_cache
