"""The evaluation report on seeded synthetic systems: JSON, Markdown, figures, honest targets."""
import json

import numpy as np
import pytest

from forum_anecdotes.labels import LABEL_NAMES, label_index
from forum_anecdotes.models.report import F1_TARGETS, evaluation_report, write_report

N_BOOT = 100


@pytest.fixture(scope="module")
def data():
    """300 test posts from three sources; a good calibrated model, a noisy baseline and a random one."""
    rng = np.random.default_rng(0)
    n = 300
    model = rng.beta(0.15, 0.3, (n, 5))  # confident, and calibrated: outcomes are drawn at these rates
    y = (rng.random((n, 5)) < model).astype(np.int8)
    known = rng.random((n, 5)) < 0.85
    sources = rng.choice(["psytar", "reddit", "drugs_forum"], n).tolist()
    noisy = np.clip(0.3 + 0.3 * y + rng.normal(0, 0.25, y.shape), 0, 1)
    logit = np.log(model.clip(1e-3, 1 - 1e-3) / (1 - model.clip(1e-3, 1 - 1e-3)))
    uncalibrated = 1 / (1 + np.exp(-3 * logit))  # what the model said before temperature scaling
    return {
        "y": y, "known": known, "sources": sources,
        "systems": {"minilm": (model, dict.fromkeys(LABEL_NAMES, 0.5)),
                    "tfidf_logreg": (noisy, [0.45] * 5),
                    "lexicon_rules": (rng.random(y.shape), 0.5)},
        "calibration": {"before": uncalibrated, "method": "temperature", "temperature": dict.fromkeys(LABEL_NAMES, 3.0)},
    }


@pytest.fixture(scope="module")
def report(data):
    return evaluation_report(**data, n_boot=N_BOOT, seed=0)


def test_report_is_json_safe_and_complete(report, data):
    json.dumps(report, allow_nan=False)
    assert report["model"] == "minilm" and report["baselines"] == ["tfidf_logreg", "lexicon_rules"]
    assert report["sources"] == {s: data["sources"].count(s) for s in sorted(set(data["sources"]))}
    for name, system in report["systems"].items():
        assert set(system["overall"]["labels"]) == set(LABEL_NAMES)
        assert set(system["by_source"]) == set(data["sources"])
        assert sum(m["n_posts"] for m in system["by_source"].values()) == 300
        assert set(report["curves"][name]) == set(LABEL_NAMES)
    assert report["systems"]["minilm"]["thresholds"]["first_hand"] == 0.5
    calib = report["calibration"]
    assert calib["method"] == "temperature" and calib["params"]["temperature"]["abuse_harm"] == 3.0
    assert calib["ece"]["before"]["all"] > calib["ece"]["after"]["all"]


def test_targets_are_reported_honestly(report):
    targets = {t["target"]: t for t in report["targets"]}
    assert len(targets) == len(F1_TARGETS) + 2
    for label, bound in F1_TARGETS.items():
        t = targets[f"minilm F1 on {label} >= {bound:.2f}"]
        assert t["met"] == (t["value"] >= bound)
    beat_random = targets["minilm macro F1 above lexicon_rules"]
    assert beat_random["met"] is True and beat_random["certain"] is True and beat_random["difference"] > 0


def test_missed_targets_say_missed(data, tmp_path):
    systems = dict(data["systems"])
    systems = {"weak": systems["lexicon_rules"], "strong": systems["minilm"]}  # the weak one is the model
    r = evaluation_report(y=data["y"], known=data["known"], sources=data["sources"], systems=systems,
                          calibration=None, n_boot=N_BOOT)
    assert all(t["met"] is False for t in r["targets"])
    assert r["calibration"]["ece"]["before"] is None and r["calibration"]["method"] is None
    written = write_report(r, tmp_path, title="t", figures=False)
    assert set(written) == {"json", "md"} and not (tmp_path / "pr_curves.png").exists()
    md = written["md"].read_text()
    assert "**met**" not in md and md.count("**missed**") == len(r["targets"])


def test_unknown_cells_do_not_change_the_report(report, data):
    y2 = data["y"].copy()
    y2[~data["known"]] = 1 - y2[~data["known"]]
    assert evaluation_report(**(data | {"y": y2}), n_boot=N_BOOT, seed=0) == report


def test_write_report(report, tmp_path):
    written = write_report(report, tmp_path / "eval", title="MiniLM on the test split")
    assert set(written) == {"json", "md", "pr_curves", "reliability"}
    for key in ("pr_curves", "reliability"):
        assert written[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert written[key].stat().st_size > 20_000
    assert json.loads(written["json"].read_text()) == report
    md = written["md"].read_text()
    assert md.startswith("# MiniLM on the test split")
    for name in ("minilm", "tfidf_logreg", "lexicon_rules", "psytar", "reddit", "drugs_forum", *LABEL_NAMES):
        assert name in md
    for label, bound in F1_TARGETS.items():
        assert f"minilm F1 on {label} >= {bound:.2f}" in md
    assert "minilm macro F1 above tfidf_logreg" in md and "minilm macro F1 above lexicon_rules" in md
    assert "**met**" in md
    assert "](pr_curves.png)" in md and "](reliability.png)" in md
    assert "nan" not in md.lower().replace("nan ", "")  # undefined values read "n/a"


def test_report_with_undefined_values(data, tmp_path):
    known = data["known"].copy()
    known[:, label_index("ssri_withdrawal")] = False  # no gold for one label at all
    r = evaluation_report(y=data["y"], known=known, sources=data["sources"], systems=data["systems"],
                          calibration=None, n_boot=N_BOOT)
    json.dumps(r, allow_nan=False)
    target = next(t for t in r["targets"] if "ssri_withdrawal" in t["target"])
    assert target["value"] is None and target["met"] is None
    # figures are drawn from the JSON alone, even with a label that has no curve
    written = write_report(json.loads(json.dumps(r)), tmp_path, title="t")
    assert written["pr_curves"].exists() and written["reliability"].exists()
    md = written["md"].read_text()
    assert "undefined" in md and "n/a" in md
