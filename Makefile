# Every target installs what it needs into .venv first (pinned by requirements.lock).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# No test or job of this project may reach a model or dataset hub.
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1

.PHONY: corpus test build pii-eval lexicon-eval bench analysis analysis-bench key lock

corpus: $(STAMP)  ## load the published corpus, print its summary, tag the example posts with the shipped model
	$(OFFLINE) $(BIN)/forum-anecdotes corpus
	$(OFFLINE) $(BIN)/forum-anecdotes tag models/example_posts.jsonl --output .local/example_tags.jsonl \
		--model models/minilm-anecdotes --no-progress --show 8

test: $(STAMP)  ## run the test suite, network blocked
	$(OFFLINE) $(BIN)/python -m pytest

build: $(STAMP)  ## rebuild corpus/ and DATA_CARD.md from the raw sources (RAW_DIR=... to choose them)
	$(OFFLINE) $(BIN)/forum-anecdotes build --skip-bad $(if $(RAW_DIR),--raw-dir $(RAW_DIR))

pii-eval: $(STAMP)  ## recall and precision of the anonymiser on both PII test sets (exit 1 below target)
	$(BIN)/forum-anecdotes pii-eval --check

lexicon-eval: $(STAMP)  ## precision and recall of the substance lexicon on the hand-read sample
	$(BIN)/forum-anecdotes lexicon-eval

bench: $(STAMP)  ## streaming build benchmark on generated Pushshift-format input (POSTS=1000000)
	$(OFFLINE) $(BIN)/python scripts/benchmark_build.py --posts $(or $(POSTS),1000000)

analysis: $(STAMP)  ## the worked example: prevalence in the 131,460 r/opiates submissions (ENGINE=ray to use Ray)
	$(OFFLINE) $(BIN)/forum-anecdotes analyse $(or $(RAW_DIR),../shared/data)/reddit_threads/opiates/submissions.csv.gz \
		--importer opiates_submissions --corpus-source reddit_threads --skip-bad --mode $(or $(MODE),int8) \
		--engine $(or $(ENGINE),local) \
		--out analysis/opiates_submissions$(if $(filter ray,$(ENGINE)),_ray)

analysis-bench: $(STAMP)  ## posts/s and peak memory of the local and Ray engines (POSTS=2000)
	$(OFFLINE) $(BIN)/forum-anecdotes analyse-benchmark --posts $(or $(POSTS),2000) --json .local/analysis-benchmark.json

key: $(STAMP)  ## create the local pseudonymisation key (~/.config/forum-anecdotes/pseudonym.key) if there is none
	$(BIN)/forum-anecdotes key

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

lock:  ## re-pin requirements.lock from the current .venv
	$(BIN)/python -m pip freeze --exclude-editable | sed 's/+cpu$$//' > requirements.lock
