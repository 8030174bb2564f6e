"""Metrics of a multi-label classifier on gold labels that are only partly known.

Every function takes plain arrays, one row per post and one column per label (the columns of
:data:`~forum_anecdotes.labels.LABEL_NAMES`):

* ``y``: gold values, 0/1, as :func:`~forum_anecdotes.schema.label_matrix` returns them;
* ``known``: bool, True where a gold value exists. An unknown cell is *not* a negative: every
  metric here reads only known cells, so whatever ``y`` holds under ``known=False`` changes nothing;
* ``probs``: predicted probabilities;
* ``thresholds``: per label, a post is predicted positive when ``probs >= threshold``.

Precision, recall, F1 and PR-AUC come from scikit-learn. Values that are undefined (no known
positives, no predicted positives, no known cells) are ``None`` in the results, never NaN, so
that the results are JSON as they are (:func:`json_safe` cleans anything else).

Confidence intervals are 95% percentile bootstrap intervals over *posts*: posts are resampled
with replacement, all labels of a post together, so that the per-label and the averaged intervals
come from the same resamples.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    precision_recall_fscore_support,
)

from forum_anecdotes.labels import LABEL_NAMES

#: Coverage of the bootstrap intervals.
CI_LEVEL = 0.95
#: At most this many cells (posts x labels x resamples) go to scikit-learn in one call; bounds memory.
_BOOT_CELLS = 4_000_000


# ------------------------------------------------------------------------------------------------
# Inputs and outputs


def _arrays(y: Any, known: Any, probs: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check and convert the three matrices (1-D arrays are one label)."""
    y = np.asarray(y)
    known = np.asarray(known, dtype=bool)
    probs = np.asarray(probs, dtype=float)
    if y.ndim == 1:
        y, known, probs = y[:, None], known[:, None], probs[:, None]
    if not (y.shape == known.shape == probs.shape) or y.ndim != 2:
        raise ValueError(f"y, known and probs must have one shape (posts x labels), not {y.shape}, {known.shape}, {probs.shape}")
    if not np.isin(y[known], (0, 1)).all():
        raise ValueError("y must be 0 or 1 in every known cell")
    if np.isnan(probs[known]).any():
        raise ValueError("probs has NaN in a known cell")
    # Unknown cells are set to 0 here and never read again: they can hold anything (-1, NaN...).
    return np.where(known, y, 0).astype(np.int8), known, np.where(known, probs, 0.0)


def threshold_array(thresholds: Any, *, names: Sequence[str] = LABEL_NAMES) -> np.ndarray:
    """Per-label thresholds as an array in column order.

    Args:
        thresholds: a sequence in column order, a ``{label: threshold}`` mapping, or one number for all.
        names: the label of each column.

    Returns:
        A float array with one threshold per column.
    """
    if isinstance(thresholds, Mapping):
        thresholds = [thresholds[name] for name in names]
    return np.broadcast_to(np.asarray(thresholds, dtype=float), (len(names),)).copy()


def _num(x: Any) -> float | None:
    """A float, or None for NaN, infinity and None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def json_safe(obj: Any) -> Any:
    """``obj`` with numpy scalars and arrays made plain, and NaN or infinity made None.

    Args:
        obj: nested dicts, lists, tuples, numpy values.

    Returns:
        The same structure that ``json.dumps(..., allow_nan=False)`` accepts.
    """
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _num(obj)
    return obj


def _prf(y: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column precision, recall and F1 of 0/1 matrices (NaN where undefined), by scikit-learn.

    Callers zero the unknown cells of both ``y`` and ``pred``: they become true negatives, which
    precision, recall and F1 never count, so the result is that of the known cells alone.
    """
    if y.shape[1] == 1:
        # scikit-learn reads one column as binary data, not as a one-label multilabel matrix
        p, r, f, _ = precision_recall_fscore_support(y[:, 0], pred[:, 0], average="binary", zero_division=np.nan)
        return np.array([p], float), np.array([r], float), np.array([f], float)
    p, r, f, _ = precision_recall_fscore_support(y, pred, average=None, zero_division=np.nan)
    return np.asarray(p, float), np.asarray(r, float), np.asarray(f, float)


def _pr_auc(y: np.ndarray, probs: np.ndarray) -> float | None:
    """Average precision of known cells given as 1-D arrays; None without a positive."""
    if y.size == 0 or not y.any():
        return None  # scikit-learn would warn and answer 0, which reads as a real score
    return float(average_precision_score(y, probs))


# ------------------------------------------------------------------------------------------------
# Point metrics and bootstrap intervals


def label_metrics(
    y: Any,
    known: Any,
    probs: Any,
    thresholds: Any,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    names: Sequence[str] = LABEL_NAMES,
) -> dict[str, Any]:
    """Per-label and averaged precision, recall, F1 (with bootstrap intervals) and PR-AUC.

    Args:
        y: gold values (posts x labels), 0/1 in known cells.
        known: bool mask of the same shape; only True cells are read.
        probs: probabilities of the same shape.
        thresholds: per label (sequence in column order, or ``{label: threshold}``, or one number).
        n_boot: bootstrap resamples of the posts (0 for no intervals).
        seed: seed of the resampling.
        names: the label of each column.

    Returns:
        ``{"labels": {label: {...}}, "micro": {...}, "macro": {...}, "n_posts", "bootstrap"}``.
        A label's entry has ``threshold``, ``n_known`` (known cells), ``support`` (known
        positives), ``predicted`` (predicted positives among known cells), ``precision``,
        ``recall``, ``f1``, ``precision_ci``, ``recall_ci``, ``f1_ci`` (``[low, high]`` or None)
        and ``pr_auc``. ``micro`` pools the known cells of all labels; ``macro`` is the mean over
        the labels whose value is defined (``labels_averaged`` lists those of F1). Undefined
        values are None.
    """
    y, known, probs = _arrays(y, known, probs)
    n_posts, n_labels = y.shape
    if len(names) != n_labels:
        raise ValueError(f"{n_labels} label columns but {len(names)} names")
    t = threshold_array(thresholds, names=names)
    pred = ((probs >= t) & known).astype(np.int8)

    precision, recall, f1 = _prf(y, pred)
    micro_p, micro_r, micro_f1 = (float(v[0]) for v in _prf(y.reshape(-1, 1), pred.reshape(-1, 1)))
    boot = _bootstrap(y, pred, n_boot=n_boot, seed=seed) if n_boot and n_posts else None

    labels: dict[str, Any] = {}
    for j, name in enumerate(names):
        k = known[:, j]
        labels[name] = {
            "threshold": float(t[j]),
            "n_known": int(k.sum()),
            "support": int(y[k, j].sum()),
            "predicted": int(pred[k, j].sum()),
            "precision": _num(precision[j]),
            "recall": _num(recall[j]),
            "f1": _num(f1[j]),
            "precision_ci": _interval(boot["precision"][:, j]) if boot else None,
            "recall_ci": _interval(boot["recall"][:, j]) if boot else None,
            "f1_ci": _interval(boot["f1"][:, j]) if boot else None,
            "pr_auc": _pr_auc(y[k, j], probs[k, j]),
        }
    aucs = [v["pr_auc"] for v in labels.values() if v["pr_auc"] is not None]
    return {
        "labels": labels,
        "micro": {
            "n_known": int(known.sum()),
            "support": int(y[known].sum()),
            "predicted": int(pred[known].sum()),
            "precision": _num(micro_p),
            "recall": _num(micro_r),
            "f1": _num(micro_f1),
            "f1_ci": _interval(boot["micro_f1"]) if boot else None,
            "pr_auc": _pr_auc(y[known], probs[known]),
        },
        "macro": {
            "precision": _num(_nanmean(precision)),
            "recall": _num(_nanmean(recall)),
            "f1": _num(_nanmean(f1)),
            "f1_ci": _interval(boot["macro_f1"]) if boot else None,
            "pr_auc": _num(np.mean(aucs)) if aucs else None,
            "labels_averaged": [name for name, v in labels.items() if v["f1"] is not None],
        },
        "n_posts": int(n_posts),
        "bootstrap": {"n_boot": int(n_boot), "seed": int(seed), "level": CI_LEVEL, "unit": "post",
                      "method": "percentile"},
    }


def macro_f1_difference(
    y: Any,
    known: Any,
    probs_a: Any,
    thresholds_a: Any,
    probs_b: Any,
    thresholds_b: Any,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    names: Sequence[str] = LABEL_NAMES,
) -> dict[str, Any]:
    """Macro F1 of system A minus that of system B on the same posts, with a paired bootstrap interval.

    Both systems are scored on the same resamples of the posts, so the interval reflects the
    difference itself, not two independent uncertainties.

    Args:
        y: gold values (posts x labels).
        known: bool mask of known cells.
        probs_a: probabilities of system A; ``thresholds_a`` its thresholds.
        probs_b: probabilities of system B; ``thresholds_b`` its thresholds.
        n_boot: bootstrap resamples (0 for none).
        seed: seed of the resampling.
        names: the label of each column (to read thresholds given as a mapping).

    Returns:
        ``{"difference", "ci", "share_not_better"}``: the point difference, its 95% percentile
        interval, and the share of resamples where A is not above B (None where undefined).
    """
    y, known, pa = _arrays(y, known, probs_a)
    _, _, pb = _arrays(y, known, probs_b)
    preds = [((p >= threshold_array(t, names=names)) & known).astype(np.int8)
             for p, t in ((pa, thresholds_a), (pb, thresholds_b))]
    point = _nanmean(_prf(y, preds[0])[2]) - _nanmean(_prf(y, preds[1])[2])
    if not n_boot or not len(y):
        return {"difference": _num(point), "ci": None, "share_not_better": None}
    # the same seed draws the same resamples for both systems
    diff = (_bootstrap(y, preds[0], n_boot=n_boot, seed=seed)["macro_f1"]
            - _bootstrap(y, preds[1], n_boot=n_boot, seed=seed)["macro_f1"])
    defined = diff[~np.isnan(diff)]
    return {
        "difference": _num(point),
        "ci": _interval(diff),
        "share_not_better": float((defined <= 0).mean()) if defined.size else None,
    }


def _bootstrap(y: np.ndarray, pred: np.ndarray, *, n_boot: int, seed: int) -> dict[str, np.ndarray]:
    """Precision, recall and F1 of ``n_boot`` resamples of the posts (rows).

    The resamples are laid side by side as the columns of one multilabel matrix (column
    ``b * labels + j`` is label j of resample b), so that one scikit-learn call scores a block
    of them; a Python loop over resamples would be some thirty times slower.

    Returns:
        ``precision``, ``recall``, ``f1`` as (n_boot x labels) arrays, ``macro_f1`` and
        ``micro_f1`` as (n_boot,) arrays; NaN where a resample leaves a value undefined.
    """
    rng = np.random.default_rng(seed)
    n_posts, n_labels = y.shape
    idx = rng.integers(0, n_posts, size=(n_boot, n_posts))
    out = {k: np.empty((n_boot, n_labels)) for k in ("precision", "recall", "f1")}
    micro = np.empty(n_boot)
    block = max(1, _BOOT_CELLS // (n_posts * n_labels))
    for start in range(0, n_boot, block):
        rows = idx[start : start + block]  # (b, posts)
        b = len(rows)
        yb, pb = y[rows], pred[rows]  # (b, posts, labels)
        # per label: posts x (b * labels)
        p, r, f = _prf(yb.transpose(1, 0, 2).reshape(n_posts, b * n_labels),
                       pb.transpose(1, 0, 2).reshape(n_posts, b * n_labels))
        out["precision"][start : start + b] = p.reshape(b, n_labels)
        out["recall"][start : start + b] = r.reshape(b, n_labels)
        out["f1"][start : start + b] = f.reshape(b, n_labels)
        # micro: every (post, label) cell of a resample in one column: (posts * labels) x b
        _, _, fm = _prf(yb.transpose(1, 2, 0).reshape(n_posts * n_labels, b),
                        pb.transpose(1, 2, 0).reshape(n_posts * n_labels, b))
        micro[start : start + b] = fm
    out["macro_f1"] = _nanmean(out["f1"], axis=1)
    out["micro_f1"] = micro
    return out


def _nanmean(a: np.ndarray, axis: int | None = None) -> Any:
    """Mean over defined values; NaN where none is (without numpy's warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=axis)


def _interval(samples: np.ndarray) -> list[float] | None:
    """The percentile interval of the defined bootstrap values, or None when none is defined."""
    samples = samples[~np.isnan(samples)]
    if samples.size == 0:
        return None
    tail = (1 - CI_LEVEL) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return [float(low), float(high)]


# ------------------------------------------------------------------------------------------------
# Thresholds


# ------------------------------------------------------------------------------------------------
# Curves and calibration


def pr_curve(y: Any, known: Any, probs: Any, *, max_points: int | None = None) -> dict[str, Any] | None:
    """The precision-recall curve of one label, on its known cells.

    Args:
        y: gold values of one label (1-D).
        known: bool mask (1-D).
        probs: probabilities (1-D).
        max_points: keep at most this many points, evenly spaced along the curve and always
            both ends (for a compact report); None keeps all.

    Returns:
        ``{"precision", "recall", "thresholds" (lists, as scikit-learn orders them: recall
        falling), "pr_auc", "prevalence", "n_known", "support"}``, or None when there is no known
        positive (the curve is undefined).
    """
    y, known, probs = _arrays(y, known, probs)
    yj, pj = y[known[:, 0], 0], probs[known[:, 0], 0]
    if not yj.any():
        return None
    precision, recall, cuts = precision_recall_curve(yj, pj)
    cuts = np.append(cuts, np.nan)  # the end point (recall 0) has no threshold
    if max_points is not None and len(precision) > max_points:
        keep = np.unique(np.linspace(0, len(precision) - 1, max(2, max_points)).round().astype(int))
        precision, recall, cuts = precision[keep], recall[keep], cuts[keep]
    return {
        "precision": json_safe(precision),
        "recall": json_safe(recall),
        "thresholds": json_safe(cuts),
        "pr_auc": _pr_auc(yj, pj),
        "prevalence": float(yj.mean()),
        "n_known": int(yj.size),
        "support": int(yj.sum()),
    }


def reliability(probs: Any, y: Any, *, known: Any = None, n_bins: int = 10) -> dict[str, Any]:
    """Reliability-diagram data: equal-width probability bins, mean prediction and observed rate.

    Args:
        probs: probabilities, 1-D (one label) or 2-D (all known cells pooled).
        y: gold values of the same shape.
        known: bool mask of the same shape; None means every cell is known.
        n_bins: equal-width bins over [0, 1]; a probability on an inner edge goes to the bin
            below, as in scikit-learn's ``calibration_curve``.

    Returns:
        ``{"edges", "count", "mean_prob", "observed", "n"}``: ``edges`` has ``n_bins + 1``
        values; the other lists have one entry per bin, None for an empty bin.
    """
    if known is None:
        known = np.ones(np.shape(y), dtype=bool)
    y, known, probs = _arrays(y, known, probs)
    yk, pk = y[known].astype(float), probs[known]
    if ((pk < 0) | (pk > 1)).any():
        raise ValueError("probabilities must lie in [0, 1]")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], pk, side="left")
    count = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_prob = np.bincount(bins, weights=pk, minlength=n_bins) / count
        observed = np.bincount(bins, weights=yk, minlength=n_bins) / count
    return {
        "edges": json_safe(edges.round(12)),
        "count": json_safe(count),
        "mean_prob": json_safe(mean_prob),
        "observed": json_safe(observed),
        "n": int(pk.size),
    }


def ece(probs: Any, y: Any, *, known: Any = None, n_bins: int = 10) -> float | None:
    """Expected calibration error on known cells: the count-weighted mean |mean prob - observed rate| over bins.

    Args:
        probs: probabilities, 1-D (one label) or 2-D (all known cells pooled).
        y: gold values of the same shape.
        known: bool mask of the same shape; None means every cell is known.
        n_bins: equal-width bins (see :func:`reliability`).

    Returns:
        The ECE in [0, 1], or None without a known cell.
    """
    r = reliability(probs, y, known=known, n_bins=n_bins)
    if r["n"] == 0:
        return None
    gaps = [c * abs(p - o) for c, p, o in zip(r["count"], r["mean_prob"], r["observed"]) if c]
    return float(sum(gaps) / r["n"])
