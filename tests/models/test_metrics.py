"""Metrics on seeded synthetic label matrices: known cells only, sklearn agreement, bootstrap, calibration."""
import json

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import f1_score

from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models.metrics import (
    ece,
    label_metrics,
    macro_f1_difference,
    pr_curve,
    reliability,
    threshold_array,
)

N_BOOT = 100
PREVALENCE = np.array([0.1, 0.2, 0.3, 0.15, 0.4])


def synthetic(n=400, *, seed=0, noise=0.35, known_share=0.8):
    """Gold values, a known mask and probabilities that are informative but noisy."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 5)) < PREVALENCE).astype(np.int8)
    known = rng.random((n, 5)) < known_share
    probs = np.clip(0.3 + 0.4 * y + rng.normal(0, noise, (n, 5)), 0, 1)
    return y, known, probs


def test_perfect_predictions_score_one():
    y, known, _ = synthetic()
    m = label_metrics(y, known, y.astype(float), 0.5, n_boot=N_BOOT)
    for name in LABEL_NAMES:
        entry = m["labels"][name]
        assert entry["f1"] == entry["precision"] == entry["recall"] == entry["pr_auc"] == 1.0
        assert entry["f1_ci"] == [1.0, 1.0]
        assert entry["support"] == int(y[known[:, LABEL_NAMES.index(name)], LABEL_NAMES.index(name)].sum())
    assert m["micro"]["f1"] == m["macro"]["f1"] == 1.0
    assert m["macro"]["f1_ci"] == [1.0, 1.0]


def test_random_predictions_score_about_the_base_rate():
    rng = np.random.default_rng(1)
    n = 6000
    y = (rng.random((n, 5)) < PREVALENCE).astype(np.int8)
    known = rng.random((n, 5)) < 0.9
    m = label_metrics(y, known, rng.random((n, 5)), 0.5, n_boot=0)
    for j, name in enumerate(LABEL_NAMES):
        entry = m["labels"][name]
        assert entry["precision"] == pytest.approx(PREVALENCE[j], abs=0.03)  # precision of a coin = prevalence
        assert entry["pr_auc"] == pytest.approx(PREVALENCE[j], abs=0.03)
        assert entry["recall"] == pytest.approx(0.5, abs=0.04)
        assert entry["f1_ci"] is None  # n_boot=0: no intervals


def test_matches_sklearn_on_known_cells():
    y, known, probs = synthetic(seed=2)
    t = np.array([0.4, 0.5, 0.6, 0.5, 0.45])
    m = label_metrics(y, known, probs, t, n_boot=0)
    for j, name in enumerate(LABEL_NAMES):
        k = known[:, j]
        assert m["labels"][name]["f1"] == pytest.approx(f1_score(y[k, j], probs[k, j] >= t[j]))
    assert m["micro"]["f1"] == pytest.approx(f1_score(y[known], (probs >= t)[known]))


def test_unknown_cells_are_ignored():
    y, known, probs = synthetic(seed=3)
    before = label_metrics(y, known, probs, 0.5, n_boot=N_BOOT, seed=7)
    rng = np.random.default_rng(99)
    y2, probs2 = y.copy(), probs.copy()
    y2[~known] = 1 - y2[~known]  # flip every unknown value
    probs2[~known] = rng.random((~known).sum())
    after = label_metrics(y2, known, probs2, 0.5, n_boot=N_BOOT, seed=7)
    assert after == before
    # whereas reading unknown cells as negatives would change the scores
    as_negatives = label_metrics(np.where(known, y, 0), np.ones_like(known), probs, 0.5, n_boot=0)
    assert as_negatives["micro"]["f1"] != pytest.approx(before["micro"]["f1"])


def test_bootstrap_intervals_contain_the_point_estimate():
    y, known, probs = synthetic(seed=4, noise=0.45)
    m = label_metrics(y, known, probs, 0.5, n_boot=N_BOOT, seed=0)
    for entry in m["labels"].values():
        for key in ("precision", "recall", "f1"):
            low, high = entry[f"{key}_ci"]
            assert low <= entry[key] <= high and low < high
    for avg in ("micro", "macro"):
        low, high = m[avg]["f1_ci"]
        assert low <= m[avg]["f1"] <= high
    # more posts, narrower interval
    big = label_metrics(*synthetic(n=4000, seed=4, noise=0.45), 0.5, n_boot=N_BOOT)
    width = lambda ci: ci[1] - ci[0]
    assert width(big["macro"]["f1_ci"]) < width(m["macro"]["f1_ci"])


def test_undefined_values_are_none_and_json_safe():
    y, known, probs = synthetic(seed=5)
    y[:, 0] = 0  # effect_beneficial: no known positive
    probs[:, 0] = 0.0  # and never predicted
    known[:, 1] = False  # effect_adverse: nothing known at all
    m = label_metrics(y, known, probs, 0.5, n_boot=N_BOOT)
    json.dumps(m, allow_nan=False)
    for j in (0, 1):
        entry = m["labels"][LABEL_NAMES[j]]
        assert entry["f1"] is None and entry["precision"] is None and entry["recall"] is None
        assert entry["pr_auc"] is None and entry["f1_ci"] is None
    assert m["labels"]["effect_adverse"]["n_known"] == 0
    assert m["macro"]["labels_averaged"] == list(LABEL_NAMES[2:])
    assert m["macro"]["f1"] == pytest.approx(np.mean([m["labels"][n]["f1"] for n in LABEL_NAMES[2:]]))


def test_thresholds_as_mapping_and_checks():
    y, known, probs = synthetic(seed=6)
    as_map = dict(zip(LABEL_NAMES, [0.3, 0.4, 0.5, 0.6, 0.7]))
    assert label_metrics(y, known, probs, as_map, n_boot=0) == label_metrics(y, known, probs, list(as_map.values()), n_boot=0)
    assert threshold_array(0.5).tolist() == [0.5] * 5
    with pytest.raises(ValueError, match="one shape"):
        label_metrics(y, known[:, :4], probs, 0.5)
    y[known.argmax(axis=0)[0], 0] = 2
    with pytest.raises(ValueError, match="0 or 1"):
        label_metrics(y, known, probs, 0.5)


def test_ece_small_when_calibrated_large_when_overconfident():
    rng = np.random.default_rng(8)
    p = rng.random((20000, 5))
    y = (rng.random(p.shape) < p).astype(int)  # outcomes drawn at the stated probability
    logit = np.log(p / (1 - p))
    overconfident = 1 / (1 + np.exp(-4 * logit))
    assert ece(p, y) < 0.02
    assert ece(overconfident, y) > 0.1
    assert ece(p[:, 0], y[:, 0]) < 0.03  # one label
    # unknown cells do not count: garbage under known=False leaves the ECE as it is
    known = rng.random(p.shape) < 0.5
    y_garbage = np.where(known, y, 1 - y)
    assert ece(p, y_garbage, known=known) == pytest.approx(ece(p[known], y[known]))
    assert ece(p, y, known=np.zeros_like(known)) is None


def test_reliability_matches_sklearn_calibration_curve():
    rng = np.random.default_rng(9)
    p = rng.random(3000) ** 2
    y = (rng.random(3000) < p).astype(int)
    r = reliability(p, y, n_bins=10)
    true_rate, mean_pred = calibration_curve(y, p, n_bins=10)
    assert [o for o in r["observed"] if o is not None] == pytest.approx(true_rate)
    assert [m for m in r["mean_prob"] if m is not None] == pytest.approx(mean_pred)
    assert sum(r["count"]) == r["n"] == 3000 and len(r["edges"]) == 11
    json.dumps(r, allow_nan=False)


def test_pr_curve():
    y, known, probs = synthetic(seed=11)
    curve = pr_curve(y[:, 4], known[:, 4], probs[:, 4])
    assert curve["recall"][0] == 1.0 and curve["recall"][-1] == 0.0
    assert curve["support"] == int(y[known[:, 4], 4].sum())
    small = pr_curve(y[:, 4], known[:, 4], probs[:, 4], max_points=20)
    assert len(small["precision"]) <= 20 and small["recall"][0] == 1.0 and small["recall"][-1] == 0.0
    json.dumps(small, allow_nan=False)
    assert pr_curve(np.zeros(10), np.ones(10, bool), np.linspace(0, 1, 10)) is None


def test_macro_f1_difference_is_paired():
    y, known, probs = synthetic(seed=12, noise=0.3)
    same = macro_f1_difference(y, known, probs, 0.5, probs, 0.5, n_boot=N_BOOT)
    assert same["difference"] == 0 and same["ci"] == [0.0, 0.0]
    noise = np.random.default_rng(1).random(probs.shape)
    better = macro_f1_difference(y, known, probs, 0.5, noise, 0.5, n_boot=N_BOOT)
    assert better["difference"] > 0 and better["ci"][0] > 0 and better["share_not_better"] == 0.0
