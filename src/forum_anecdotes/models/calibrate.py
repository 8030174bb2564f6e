"""Calibration and decision thresholds, fitted on the validation split after training.

Each label gets a temperature ``T`` (probability = sigmoid(logit / T)) that minimises the negative
log-likelihood of the validation posts' known values (:func:`fit_temperature`), then a threshold on
the calibrated probability that maximises F1 there (:func:`tune_threshold`): the one threshold
rule of the project, for the model and the baselines alike.
:func:`forum_anecdotes.models.metrics.ece` measures calibration before and after. Everything here takes post-level logits and known values only:
callers mask out unknown labels first (:func:`fit_temperatures` and :func:`tune_thresholds` do it
for label matrices).
"""
from __future__ import annotations

import math

import numpy as np

#: Temperatures are searched in [1/20, 20]; beyond that a label's validation set is too small to say.
T_MIN, T_MAX = 0.05, 20.0
#: Thresholds tried when tuning: 0.05, 0.06, ..., 0.95.
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow warnings for large logits."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -x))


def nll(logits: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> float:
    """Mean binary negative log-likelihood of labels ``y`` (0/1) under sigmoid(logits / T)."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    y = np.asarray(y, dtype=np.float64)
    # log(1 + e^-z) for positives, log(1 + e^z) for negatives, computed stably
    return float(np.mean(np.logaddexp(0.0, -z) * y + np.logaddexp(0.0, z) * (1 - y)))


def fit_temperature(logits: np.ndarray, y: np.ndarray, *, iterations: int = 100) -> float:
    """The temperature that minimises the NLL of ``y`` given ``logits``.

    The NLL is convex in 1/T, hence unimodal in log T, so a golden-section search over
    log T in [log :data:`T_MIN`, log :data:`T_MAX`] finds the minimum without a solver
    dependency and without tuning a step size.

    Args:
        logits: raw post-level logits of one label (known values only).
        y: their 0/1 values.
        iterations: golden-section steps (100 narrows the interval below 1e-20 of its width).

    Returns:
        T; 1.0 when ``y`` holds no values or a single class (then the NLL only falls as the
        logits grow sharper, and the fitted T would be the search's bound, not an estimate).
    """
    logits, y = np.asarray(logits, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(y) == 0 or y.min() == y.max():
        return 1.0
    lo, hi = math.log(T_MIN), math.log(T_MAX)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(logits, y, math.exp(a)), nll(logits, y, math.exp(b))
    for _ in range(iterations):
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(logits, y, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(logits, y, math.exp(b))
    return float(math.exp((lo + hi) / 2))


def fit_temperatures(logits: np.ndarray, values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """One temperature per label column (:func:`fit_temperature` on that label's known values)."""
    known = np.asarray(known, dtype=bool)
    return np.array([fit_temperature(logits[known[:, j], j], values[known[:, j], j]) for j in range(logits.shape[1])])


def precision_recall_f1(probs: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 of ``probs >= threshold`` against 0/1 ``y`` (0.0 where undefined)."""
    pred = np.asarray(probs) >= threshold
    y = np.asarray(y).astype(bool)
    tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def tune_threshold(probs: np.ndarray, y: np.ndarray, grid: np.ndarray = THRESHOLD_GRID) -> float:
    """The threshold of ``grid`` that maximises F1; ties go to the one nearest 0.5.

    Ties are common on a small validation split (a plateau between two adjacent scores); the
    middle ground generalises better than the plateau's edge.

    Returns:
        The threshold; 0.5 when ``y`` has no positive (F1 is 0 at every threshold).
    """
    y = np.asarray(y)
    if len(y) == 0 or not y.any():
        return 0.5
    scores = np.array([precision_recall_f1(probs, y, t)["f1"] for t in grid])
    best = np.flatnonzero(np.isclose(scores, scores.max()))
    return float(grid[best[np.argmin(np.abs(grid[best] - 0.5))]])


def tune_thresholds(probs: np.ndarray, values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """One threshold per label column (:func:`tune_threshold` on that label's known values)."""
    known = np.asarray(known, dtype=bool)
    return np.array([tune_threshold(probs[known[:, j], j], values[known[:, j], j]) for j in range(probs.shape[1])])
