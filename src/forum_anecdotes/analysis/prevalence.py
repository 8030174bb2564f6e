"""Prevalence of each label: the raw share of posts the classifier tags, and that share corrected for its errors.

The classifier is not perfect, so the share of posts it tags (the *apparent* prevalence) is biased:
false positives push it up, missed positives pull it down. The Rogan–Gladen estimator undoes this
with the sensitivity and specificity measured on the evaluation's test split:
``p = (apparent + specificity - 1) / (sensitivity + specificity - 1)``, clipped to [0, 1].

Intervals: Wilson score for the raw share; for the corrected share, a parametric bootstrap that
draws the apparent share *and* the sensitivity and specificity. The error rates come from a small
test split (e.g. 14 positives for ``ssri_withdrawal``), so for rare labels their uncertainty, not
the number of posts analysed, dominates the corrected interval; ignoring it would make it far too narrow.

Everything here assumes that the error rates of the test split transfer to the posts analysed
(same kind of posts, same label rates conditional on the truth). That is an assumption, not a fact.
"""
from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from forum_anecdotes.labels import LABEL_NAMES

#: Estimate columns of :func:`prevalence_estimates`, in order.
ESTIMATE_COLUMNS = ("raw", "raw_low", "raw_high", "corrected", "corrected_low", "corrected_high")
#: Columns of :func:`prevalence_table`, in order.
TABLE_COLUMNS = ("dimension", "value", "label", "posts", "positives", *ESTIMATE_COLUMNS, "small", "note")
#: Share of bootstrap draws with sensitivity + specificity <= 1 above which no corrected interval is given.
MAX_INVALID_DRAWS = 0.05
#: Column names that would hold post text: refused in any input (the analysis takes aggregates only).
TEXT_COLUMNS = frozenset({"text", "body", "selftext", "title", "content", "post", "post_text"})
_CELLS_PER_CHUNK = 512  # bounds the memory of the bootstrap: cells x draws floats per array


@dataclass(frozen=True)
class ErrorRates:
    """The confusion counts of one label on the evaluation's test split.

    Args:
        tp: gold positive, tagged positive.
        fp: gold negative, tagged positive.
        tn: gold negative, tagged negative.
        fn: gold positive, tagged negative.

    Raises:
        ValueError: for a count that is negative or not a whole number.
    """

    tp: int
    fp: int
    tn: int
    fn: int

    def __post_init__(self):
        for name in ("tp", "fp", "tn", "fn"):
            value = getattr(self, name)
            if isinstance(value, bool) or not float(value).is_integer() or value < 0:
                raise ValueError(f"ErrorRates.{name} must be a non-negative whole number, got {value!r}")
            object.__setattr__(self, name, int(value))

    @property
    def sensitivity(self) -> float:
        """tp / (tp + fn); NaN without gold positives."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def specificity(self) -> float:
        """tn / (tn + fp); NaN without gold negatives."""
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else float("nan")

    @property
    def n(self) -> int:
        """Posts of the test split with a known gold value."""
        return self.tp + self.fp + self.tn + self.fn


def error_rates_from_report(path_or_dict: str | os.PathLike | Mapping, *, system: str | None = None,
                            mode: str = "fp32") -> dict[str, ErrorRates]:
    """The confusion counts of each label, derived from an evaluation report (``report.json``).

    The report keeps, per label, ``n_known``, ``support`` (gold positives), ``predicted`` (tagged
    positives) and ``recall``; then tp = round(recall * support), fn = support - tp,
    fp = predicted - tp, tn = n_known - support - fp.

    Args:
        path_or_dict: the report file, or its parsed content.
        system: the system whose counts to take; default the report's ``model``.
        mode: the model's precision mode whose tags are corrected: "fp32" reads the system's
            overall figures; another mode (int8) reads its own figures in ``report["modes"]``, since
            a faster mode changes some decisions and so its error rates.

    Returns:
        label -> :class:`ErrorRates`, for every label of :data:`LABEL_NAMES`, in that order.

    Raises:
        ValueError: naming the file (or "report dict") for a missing system, label or field, or
            counts that do not add up.
    """
    if isinstance(path_or_dict, Mapping):
        report, where = path_or_dict, "report dict"
    else:
        where = str(path_or_dict)
        with open(path_or_dict, encoding="utf-8") as f:
            report = json.load(f)
    system = system if system is not None else report.get("model")
    if system is None:
        raise ValueError(f"{where}: no 'model' entry and no system given")
    systems = report.get("systems") or {}
    if system not in systems:
        raise ValueError(f"{where}: no system {system!r} (the report has: {', '.join(systems) or 'none'})")
    if mode == "fp32":
        labels = ((systems[system].get("overall") or {}).get("labels")) or {}
    else:
        labels = (((report.get("modes") or {}).get(mode) or {}).get("labels")) or {}
        if not labels:
            raise ValueError(f"{where}: no per-label figures of the {mode} mode; run forum-anecdotes evaluate "
                             f"again, or analyse in fp32")
    rates = {}
    for name in LABEL_NAMES:
        if name not in labels:
            raise ValueError(f"{where}: system {system!r} has no label {name!r}")
        entry = labels[name]
        missing = [k for k in ("n_known", "support", "predicted", "recall") if k not in entry]
        if missing:
            raise ValueError(f"{where}: system {system!r}, label {name!r} lacks {', '.join(missing)}")
        support, predicted, n_known = int(entry["support"]), int(entry["predicted"]), int(entry["n_known"])
        tp = round((entry["recall"] or 0.0) * support)
        counts = {"tp": tp, "fp": predicted - tp, "tn": n_known - support - (predicted - tp), "fn": support - tp}
        try:
            rates[name] = ErrorRates(**counts)
        except ValueError:
            raise ValueError(f"{where}: system {system!r}, label {name!r}: inconsistent counts {counts}") from None
    return rates


def rogan_gladen(apparent, sensitivity, specificity):
    """The Rogan–Gladen corrected prevalence, (apparent + sp - 1) / (se + sp - 1), clipped to [0, 1].

    Args:
        apparent: the share tagged positive (scalar or array; broadcast with the others).
        sensitivity: the classifier's sensitivity.
        specificity: the classifier's specificity.

    Returns:
        The corrected prevalence, a float for scalar inputs, else an array. NaN where
        se + sp - 1 <= 0 (a classifier no better than chance says nothing about prevalence) or an
        input is NaN.
    """
    a, se, sp = (np.asarray(x, dtype=float) for x in (apparent, sensitivity, specificity))
    denom = se + sp - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(denom > 0, np.clip((a + sp - 1.0) / denom, 0.0, 1.0), np.nan)
    p = np.where(np.isnan(a), np.nan, p)
    return float(p) if p.ndim == 0 else p


def share(k, n) -> np.ndarray:
    """k / n as floats, NaN where n == 0."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    return np.divide(k, n, out=np.full(np.broadcast(k, n).shape, np.nan), where=n != 0)


def require_columns(frame: pd.DataFrame, columns, what: str) -> None:
    """Raise ValueError naming ``what`` and the columns of ``columns`` that ``frame`` lacks."""
    missing = [str(c) for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")


def _wilson(k: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of k / n; NaN where n == 0."""
    empty = n == 0
    low, high = proportion_confint(k, np.where(empty, 1, n), alpha=1 - level, method="wilson")
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def prevalence_estimates(posts, positives, rates: ErrorRates, *, n_draws: int = 4000, level: float = 0.95,
                         seed: int = 0) -> pd.DataFrame:
    """Raw and corrected prevalence of one label, with intervals, for many cells at once.

    The corrected interval is a parametric bootstrap (Monte Carlo) percentile interval. Per draw:
    apparent* ~ Beta(k + 1/2, n - k + 1/2) (the Jeffreys distribution of the tagged share),
    sensitivity* ~ Beta(tp + 1, fn + 1), specificity* ~ Beta(tn + 1, fp + 1), and the draw is
    ``rogan_gladen(apparent*, sensitivity*, specificity*)``. Drawing the error rates matters: they
    come from a small test split, and for rare labels their uncertainty dominates. Draws with
    se* + sp* <= 1 are left out; if they are more than 5% of the draws, the corrected interval
    is NaN (the error rates are too uncertain to correct with).

    Args:
        posts: posts per cell (array-like of ints).
        positives: posts per cell that the classifier tagged with the label.
        rates: the label's confusion counts on the test split.
        n_draws: bootstrap draws.
        level: interval coverage, e.g. 0.95.
        seed: seeds the numpy Generator; the same inputs and seed give the same result.

    Returns:
        One row per cell, in input order, with columns raw, raw_low, raw_high, corrected,
        corrected_low, corrected_high. Cells with posts == 0 are NaN throughout.

    Raises:
        ValueError: for negative counts, positives > posts or mismatched lengths.
    """
    n = np.asarray(posts, dtype=float).ravel()
    k = np.asarray(positives, dtype=float).ravel()
    if n.shape != k.shape:
        raise ValueError(f"posts and positives differ in length ({n.size} vs {k.size})")
    if (n < 0).any() or (k < 0).any() or (k > n).any():
        raise ValueError("counts must satisfy 0 <= positives <= posts in every cell")
    raw = share(k, n)
    raw_low, raw_high = _wilson(k, n, level)
    corrected = rogan_gladen(raw, rates.sensitivity, rates.specificity)

    rng = np.random.default_rng(seed)
    se = rng.beta(rates.tp + 1, rates.fn + 1, size=n_draws)
    sp = rng.beta(rates.tn + 1, rates.fp + 1, size=n_draws)
    valid = se + sp - 1.0 > 0
    low, high = np.full(n.size, np.nan), np.full(n.size, np.nan)
    if valid.mean() >= 1 - MAX_INVALID_DRAWS:
        se, sp = se[valid], sp[valid]
        tail = (1 - level) / 2
        for start in range(0, n.size, _CELLS_PER_CHUNK):
            part = slice(start, start + _CELLS_PER_CHUNK)
            kk, nn = k[part, None], n[part, None]
            apparent = rng.beta(kk + 0.5, np.maximum(nn - kk, 0) + 0.5, size=(kk.shape[0], se.size))
            draws = rogan_gladen(apparent, se, sp)
            low[part], high[part] = np.quantile(draws, [tail, 1 - tail], axis=1)
    undefined = np.isnan(corrected)  # empty cell, or the point error rates say nothing (se + sp <= 1)
    low[undefined] = high[undefined] = np.nan
    return pd.DataFrame({"raw": raw, "raw_low": raw_low, "raw_high": raw_high, "corrected": corrected,
                         "corrected_low": low, "corrected_high": high})


def check_aggregate(frame: pd.DataFrame, what: str, *, text_ok: tuple[str, ...] = ()) -> None:
    """Refuse a frame that could carry post text: a text-like column name, or strings outside ``text_ok``.

    Args:
        frame: the input.
        what: its name, for the message.
        text_ok: columns allowed to hold strings (cell keys such as ``dimension`` and ``value``).

    Raises:
        ValueError: naming the offending columns.
    """
    names = [str(c) for c in frame.columns]
    bad = [c for c in names if c.lower() in TEXT_COLUMNS]
    bad += [str(c) for c in frame.columns if str(c) not in text_ok and str(c) not in bad
            and not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise ValueError(f"{what}: column(s) {', '.join(bad)} refused: the analysis takes aggregate counts only, never post text")


def _notes(posts: np.ndarray, positives: np.ndarray, est: pd.DataFrame, rates: ErrorRates, *, min_posts: int,
           min_positives: int) -> tuple[np.ndarray, list[str]]:
    """The small flag and a note per cell: why it is small, why there is no corrected value, or clipping."""
    small = (posts < min_posts) | (positives < min_positives)
    se, sp = rates.sensitivity, rates.specificity
    with np.errstate(invalid="ignore", divide="ignore"):
        unclipped = (est["raw"].to_numpy() + sp - 1) / (se + sp - 1)
    notes = []
    for i, (n, k) in enumerate(zip(posts, positives)):
        parts = ["no posts"] if n == 0 else []
        if 0 < n < min_posts:
            parts.append(f"fewer than {min_posts} posts")
        if n > 0 and k < min_positives:
            parts.append(f"fewer than {min_positives} tagged posts")
        if n > 0 and np.isnan(est["corrected"].iat[i]):
            parts.append("no correction: sensitivity + specificity <= 1 on the test split")
        elif n > 0 and np.isnan(est["corrected_low"].iat[i]):
            parts.append("no corrected interval: error rates too uncertain")
        elif unclipped[i] < 0:
            parts.append("corrected clipped to 0: tagged share below the false-positive rate")
        elif unclipped[i] > 1:
            parts.append("corrected clipped to 1: tagged share above the sensitivity")
        notes.append("; ".join(parts))
    return small, notes


def prevalence_table(counts: pd.DataFrame, rates: Mapping[str, ErrorRates], *, min_posts: int = 30,
                     min_positives: int = 5, n_draws: int = 4000, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Raw and corrected prevalence of every label in every cell, as a long table.

    Args:
        counts: one row per cell with columns dimension, value, posts and one count column per
            label of :data:`LABEL_NAMES` (posts of the cell tagged with it). Other numeric columns
            are ignored; a text-like or string column is refused.
        rates: label -> its error rates (e.g. from :func:`error_rates_from_report`).
        min_posts: cells with fewer posts are marked small.
        min_positives: cells with fewer tagged posts are marked small.
        n_draws: bootstrap draws per label.
        level: interval coverage.
        seed: bootstrap seed (the same for every label).

    Returns:
        Columns dimension, value, label, posts, positives, raw, raw_low, raw_high, corrected,
        corrected_low, corrected_high, small, note; rows in the order of ``counts`` and, within a
        cell, in label order.

    Raises:
        ValueError: for missing columns or labels, or a text column.
    """
    require_columns(counts, ("dimension", "value", "posts", *LABEL_NAMES), "counts")
    check_aggregate(counts, "counts", text_ok=("dimension", "value"))
    absent = [name for name in LABEL_NAMES if name not in rates]
    if absent:
        raise ValueError(f"no error rates for label(s) {', '.join(absent)}")
    posts = counts["posts"].to_numpy(dtype=float)
    keys = {"dimension": counts["dimension"].astype(str).to_numpy(), "value": counts["value"].astype(str).to_numpy()}
    blocks = []
    for name in LABEL_NAMES:
        positives = counts[name].to_numpy(dtype=float)
        est = prevalence_estimates(posts, positives, rates[name], n_draws=n_draws, level=level, seed=seed)
        small, notes = _notes(posts, positives, est, rates[name], min_posts=min_posts, min_positives=min_positives)
        blocks.append(est.assign(**keys, label=name, posts=posts.astype(int), positives=positives.astype(int),
                                 small=small, note=notes, _cell=np.arange(len(counts))))
    # a stable sort by cell keeps the label order within each cell
    table = pd.concat(blocks, ignore_index=True).sort_values("_cell", kind="stable")
    return table[list(TABLE_COLUMNS)].reset_index(drop=True)


def gold_comparison(gold: pd.DataFrame, rates: Mapping[str, ErrorRates], *, min_posts: int = 30,
                    min_positives: int = 5, n_draws: int = 4000, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Compare the corrected prevalence with the gold prevalence where analysed posts have gold labels.

    If the gold posts are the test split the error rates were measured on, the corrected share
    equals the gold share by construction: the comparison is then no check at all.

    Args:
        gold: indexed by label, columns posts (posts with a known gold value), gold_positive and
            tagged_positive; may be empty.
        rates: label -> error rates.
        min_posts: fewer gold posts mark the row small.
        min_positives: fewer gold positives mark the row small.
        n_draws: bootstrap draws.
        level: interval coverage.
        seed: bootstrap seed.

    Returns:
        Indexed by label (label order): posts, gold_positive, gold_prevalence, gold_low, gold_high,
        tagged_positive, raw, corrected, corrected_low, corrected_high, covers (True/False: the gold
        prevalence lies in the corrected interval; None when either is missing) and small. Empty
        (with these columns) for an empty ``gold``.

    Raises:
        ValueError: for missing columns, an unknown label or missing error rates.
    """
    columns = ["posts", "gold_positive", "gold_prevalence", "gold_low", "gold_high", "tagged_positive", "raw",
               "corrected", "corrected_low", "corrected_high", "covers", "small"]
    if gold is None or len(gold) == 0:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="label"))
    require_columns(gold, ("posts", "gold_positive", "tagged_positive"), "gold")
    check_aggregate(gold, "gold")
    for bad, why in (([x for x in gold.index if x not in LABEL_NAMES], "gold: unknown label(s)"),
                     ([x for x in gold.index if x not in rates], "no error rates for label(s)")):
        if bad:
            raise ValueError(f"{why} {', '.join(map(str, bad))}")
    rows = []
    for i, name in enumerate(x for x in LABEL_NAMES if x in gold.index):
        n, g, t = (float(gold.at[name, c]) for c in ("posts", "gold_positive", "tagged_positive"))
        if g > n or t > n:
            raise ValueError(f"gold: label {name!r} has more positives than posts")
        est = prevalence_estimates([n], [t], rates[name], n_draws=n_draws, level=level, seed=seed + i).iloc[0]
        low, high = _wilson(np.array([g]), np.array([n]), level)
        p = g / n if n else np.nan
        known = not np.isnan([p, est["corrected_low"], est["corrected_high"]]).any()
        covers = bool(est["corrected_low"] <= p <= est["corrected_high"]) if known else None
        rows.append({"label": name, "posts": int(n), "gold_positive": int(g), "gold_prevalence": p,
                     "gold_low": low[0], "gold_high": high[0], "tagged_positive": int(t), "raw": est["raw"],
                     "corrected": est["corrected"], "corrected_low": est["corrected_low"],
                     "corrected_high": est["corrected_high"], "covers": covers,
                     "small": bool(n < min_posts or g < min_positives)})
    return pd.DataFrame(rows).set_index("label")[columns]


def error_rates_table(rates: Mapping[str, ErrorRates], *, level: float = 0.95) -> pd.DataFrame:
    """The error rates as a table: counts, sensitivity and specificity with Wilson intervals.

    Args:
        rates: label -> error rates.
        level: interval coverage.

    Returns:
        Indexed by label (label order, labels present only): tp, fp, tn, fn, n, sensitivity,
        sensitivity_low, sensitivity_high, specificity, specificity_low, specificity_high.
    """
    names = [x for x in LABEL_NAMES if x in rates]
    frame = pd.DataFrame([{**dataclasses.asdict(rates[x]), "n": rates[x].n} for x in names],
                         index=pd.Index(names, name="label"), columns=["tp", "fp", "tn", "fn", "n"])
    for what, k, other in (("sensitivity", "tp", "fn"), ("specificity", "tn", "fp")):
        k, n = frame[k].to_numpy(dtype=float), (frame[k] + frame[other]).to_numpy(dtype=float)
        frame[what] = share(k, n)
        frame[f"{what}_low"], frame[f"{what}_high"] = _wilson(k, n, level)
    return frame
