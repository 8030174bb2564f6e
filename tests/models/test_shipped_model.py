"""The shipped model: loads offline, stays small, and its card's figures come from its report."""
import json

import pytest

from forum_anecdotes import paths
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models.card import render_model_card
from forum_anecdotes.models.spec import load_spec

MODEL = paths.REPO_ROOT / "models" / "minilm-anecdotes"


def test_the_shipped_model_is_small_and_has_its_spec():
    size = sum(p.stat().st_size for p in MODEL.iterdir() if p.is_file())
    assert size < 50 * 2**20
    spec = load_spec(MODEL)
    assert spec.labels == list(LABEL_NAMES) and spec.calibration["method"] == "temperature"


def test_it_loads_offline_with_a_plain_pipeline():
    transformers = pytest.importorskip("transformers")  # a required dependency: never skips in CI
    clf = transformers.pipeline("text-classification", model=str(MODEL), top_k=None)
    out = clf("I stopped sertraline last week and the brain zaps are awful.")
    scores = out[0] if isinstance(out[0], list) else out
    assert sorted(s["label"] for s in scores) == sorted(LABEL_NAMES)


def test_the_card_reports_the_evaluation_and_says_it_is_not_clinical():
    card = render_model_card(MODEL)
    assert "not a clinical tool" in card
    report = json.loads((MODEL / "report.json").read_text(encoding="utf-8"))
    macro = report["systems"][load_spec(MODEL).name]["overall"]["macro"]["f1"]
    assert f"{macro:.3f}" in card
    assert (MODEL / "README.md").read_text(encoding="utf-8") == card
