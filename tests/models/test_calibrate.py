"""Temperature calibration, ECE and threshold tuning on synthetic scores."""
import numpy as np
import pytest

from forum_anecdotes.models import calibrate, metrics


def synthetic(temperature: float, n: int = 20000, seed: int = 0):
    """Labels drawn from sigmoid(z); the model reports z * temperature (over- or under-confident)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.0, n)
    y = (rng.random(n) < calibrate.sigmoid(z)).astype(int)
    return z * temperature, y


@pytest.mark.parametrize("true_t", [0.5, 1.0, 2.5])
def test_fit_temperature_recovers_a_known_temperature(true_t):
    logits, y = synthetic(true_t)
    t = calibrate.fit_temperature(logits, y)
    assert t == pytest.approx(true_t, rel=0.08)
    assert calibrate.nll(logits, y, t) <= calibrate.nll(logits, y, 1.0) + 1e-12


def test_calibration_lowers_ece():
    logits, y = synthetic(3.0)
    t = calibrate.fit_temperature(logits, y)
    before = metrics.ece(calibrate.sigmoid(logits), y)
    after = metrics.ece(calibrate.sigmoid(logits / t), y)
    assert before > 0.05
    assert after < before / 3


def test_fit_temperature_without_both_classes_is_identity():
    assert calibrate.fit_temperature(np.array([1.0, 2.0]), np.array([1, 1])) == 1.0
    assert calibrate.fit_temperature(np.array([]), np.array([])) == 1.0


def test_fit_temperatures_uses_known_values_only():
    logits, y = synthetic(2.0, n=4000)
    matrix = np.stack([logits, logits], axis=1)
    values = np.stack([y, 1 - y], axis=1)  # column 2's values are the opposite, but all unknown
    known = np.stack([np.ones_like(y, bool), np.zeros_like(y, bool)], axis=1)
    temps = calibrate.fit_temperatures(matrix, values, known)
    assert temps[0] == pytest.approx(2.0, rel=0.15)
    assert temps[1] == 1.0


def test_ece_by_hand():
    probs = np.array([0.1, 0.1, 0.9, 0.9])
    assert metrics.ece(probs, np.array([0, 0, 1, 1])) == pytest.approx(0.1)
    assert metrics.ece(np.array([1.0, 0.0]), np.array([1, 0])) == 0.0  # p == 1 goes in the last bin
    assert metrics.ece(np.array([]), np.array([])) is None


def test_tune_threshold_maximises_f1():
    probs = np.array([0.1, 0.2, 0.3, 0.62, 0.7, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1])
    t = calibrate.tune_threshold(probs, y)
    assert 0.3 < t <= 0.62
    assert calibrate.precision_recall_f1(probs, y, t)["f1"] == 1.0
    assert t == pytest.approx(0.5)  # the plateau (0.31..0.62) is tied: the middle ground wins
    # one noisy positive at 0.2: catching it costs two false positives, so F1 prefers to miss it
    y2 = np.array([0, 1, 0, 1, 1, 1])
    t2 = calibrate.tune_threshold(probs, y2)
    assert calibrate.precision_recall_f1(probs, y2, t2)["f1"] == pytest.approx(max(
        calibrate.precision_recall_f1(probs, y2, g)["f1"] for g in calibrate.THRESHOLD_GRID))


def test_tune_threshold_falls_back_without_positives():
    assert calibrate.tune_threshold(np.array([0.2, 0.8]), np.array([0, 0])) == 0.5
    probs = np.array([[0.9, 0.9], [0.1, 0.1]])
    values = np.array([[1, 0], [0, 0]])
    known = np.array([[True, False], [True, False]])
    assert list(calibrate.tune_thresholds(probs, values, known)) == [pytest.approx(0.5), 0.5]


def test_precision_recall_f1():
    scores = calibrate.precision_recall_f1(np.array([0.9, 0.8, 0.1, 0.6]), np.array([1, 0, 1, 1]), 0.5)
    assert scores == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})
    assert calibrate.precision_recall_f1(np.array([0.1]), np.array([0]), 0.5)["f1"] == 0.0


def test_tune_thresholds_per_label_uses_known_values_only():
    probs = np.array([[0.2, 0.9], [0.4, 0.8], [0.7, 0.1], [0.9, 0.2]])
    values = np.array([[0, 1], [0, 1], [1, 0], [1, 0]])
    known = np.array([[1, 1], [1, 1], [1, 0], [1, 0]], bool)  # label 2 knows only positives
    t = calibrate.tune_thresholds(probs, values, known)
    assert 0.4 < t[0] <= 0.7
    assert calibrate.precision_recall_f1(probs[:, 0], values[:, 0], t[0])["f1"] == 1.0
    assert t[1] <= 0.8  # both known posts are positive: any threshold under their scores keeps them
