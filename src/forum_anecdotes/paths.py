"""Every path and environment variable the project uses, defined once."""
from __future__ import annotations

import os
from pathlib import Path

#: The repository root (this file lives in src/forum_anecdotes/).
REPO_ROOT = Path(__file__).resolve().parents[2]

#: The published corpus: a Hugging Face dataset folder (README.md with `configs`, data/*.jsonl).
CORPUS_DIR = REPO_ROOT / "corpus"
CORPUS_DATA_DIR = CORPUS_DIR / "data"
#: The build report (counts only, never values), published beside the data.
BUILD_REPORT = CORPUS_DIR / "build_report.json"
DATA_CARD = REPO_ROOT / "DATA_CARD.md"

#: Raw sources are read from here unless --raw-dir says otherwise (the maintainers' copy).
DEFAULT_RAW_DIR = REPO_ROOT.parent / "shared" / "data"

#: Local, never committed: build intermediates, rejects, the pseudonymisation key.
LOCAL_DIR = REPO_ROOT / ".local"
KEY_ENV_VAR = "FORUM_ANECDOTES_KEY"
#: The key lives outside the work tree, so that a fresh checkout on the same machine (or a
#: ``git clean``) keeps it: published ids, pseudonyms and the gold labels' post ids depend on it.
KEY_FILE = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "forum-anecdotes" / "pseudonym.key"

#: Package resources: the substance lexicon and the site-furniture rules.
RESOURCES_DIR = Path(__file__).resolve().parent / "corpus" / "resources"


def raw_dir_from_env() -> Path:
    """The raw-data folder: $FORUM_ANECDOTES_RAW_DIR if set, else :data:`DEFAULT_RAW_DIR`."""
    return Path(os.environ.get("FORUM_ANECDOTES_RAW_DIR", DEFAULT_RAW_DIR))

#: Hand-marked evaluation sets (kept beside the tests: the build replaces corpus/ whole).
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"
#: The hand-read substance sample that measures the lexicon.
LEXICON_SAMPLE = FIXTURES_DIR / "lexicon" / "lexicon_sample.jsonl"

#: Annotation: the guide, answers (ids and labels only, committed), batch indexes (no text) and gold.
ANNOTATION_DIR = REPO_ROOT / "annotation"
GUIDE = ANNOTATION_DIR / "GUIDELINES.md"
ANSWERS_DIR = ANNOTATION_DIR / "answers"
BATCH_INDEX_DIR = ANNOTATION_DIR / "batches"
GOLD_LABELS = ANNOTATION_DIR / "gold" / "labels.jsonl"

#: Trained models, one folder each; the shipped one is the default of train, evaluate and tag.
MODELS_DIR = REPO_ROOT / "models"
DEFAULT_MODEL_DIR = MODELS_DIR / "minilm-anecdotes"
