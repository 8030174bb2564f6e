"""Inter-annotator agreement: Cohen's kappa, Krippendorff's alpha and bootstrap intervals.

Everything here is a function of arrays, posts x annotators per label, with ``np.nan`` where an
annotator did not answer a post (annotators need not answer every post; only the overlap of a
batch is answered by several). :func:`answers_to_arrays` builds them from answer records, and
:func:`agreement_report` puts the statistics together as plain JSON-serialisable data.

The statistics come from maintained packages: :func:`sklearn.metrics.cohen_kappa_score` and
:func:`krippendorff.alpha` (nominal). Intervals are percentile bootstrap intervals over posts: a
post is the unit that was sampled, so it is the unit resampled, with all its answers (and, for
the set-level alpha, all its labels) together.
"""
from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Self

import krippendorff
import numpy as np
import sklearn
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import cohen_kappa_score

from forum_anecdotes.annotation.records import answer_problems
from forum_anecdotes.labels import LABEL_NAMES

#: The two label values; fixed so that a label nobody set to 1 still has a two-value domain.
_DOMAIN = np.array([0.0, 1.0])


def current_answers(answers: Iterable[dict], *, include_unclear: bool = False) -> list[dict]:
    """The answers that count now: undos applied, then the latest answer per annotator and post.

    An undo withdraws the named earlier answer of the same annotator (an undo naming someone
    else's answer, or an answer not seen yet, withdraws nothing; the validator reports it). Of the
    answers left, an annotator's last one for a post (in the order given, i.e. file order, since
    answers files are append-only) is their current answer. When that answer is ``unclear`` the
    annotator has no usable answer for the post: it is dropped (an earlier, clear answer does not
    come back), unless ``include_unclear``.

    Args:
        answers: answer and undo records, in the order they were written.
        include_unclear: keep current answers flagged ``unclear``.

    Returns:
        The current answers, in the order given.

    Raises:
        ValueError: for a record that breaks the contract (run the validator first).
    """
    records = list(answers)
    withdrawn: set[int] = set()
    index_of: dict[str, int] = {}
    for i, record in enumerate(records):
        problems = answer_problems(record)
        if problems:
            raise ValueError(f"answer record {i} ({record.get('answer_id', 'no answer_id')}): {'; '.join(problems)}")
        if "undo" in record:
            j = index_of.get(record["undo"])
            if j is not None and "undo" not in records[j] and records[j]["annotator"] == record["annotator"]:
                withdrawn.add(j)
        elif record.get("answer_id"):
            index_of.setdefault(record["answer_id"], i)
    latest: dict[tuple[str, str], int] = {}
    for i, record in enumerate(records):
        if "undo" not in record and i not in withdrawn:
            latest[(record["annotator"], record["post_id"])] = i
    keep = sorted(latest.values())
    return [records[i] for i in keep if include_unclear or not records[i].get("unclear", False)]


def answers_to_arrays(answers: Iterable[dict]) -> tuple[list[str], list[str], np.ndarray]:
    """The current answers as one posts x annotators array per label.

    Answers are reduced with :func:`current_answers`: undos applied, the latest answer per
    annotator and post, and answers flagged ``unclear`` skipped (the annotator could not judge the
    post under the guide, so their 0s are not judgements; the cell stays missing).

    Args:
        answers: answer and undo records, in file order.

    Returns:
        ``(post_ids, annotators, array)``: sorted post ids and annotator ids, and a float array of
        shape (labels, posts, annotators), labels in :data:`~forum_anecdotes.labels.LABEL_NAMES`
        order, holding 0.0, 1.0 or NaN (no current, clear answer).
    """
    current = current_answers(answers)
    post_ids = sorted({a["post_id"] for a in current})
    annotators = sorted({a["annotator"] for a in current})
    row = {p: i for i, p in enumerate(post_ids)}
    col = {a: j for j, a in enumerate(annotators)}
    array = np.full((len(LABEL_NAMES), len(post_ids), len(annotators)), np.nan)
    for a in current:
        for k, name in enumerate(LABEL_NAMES):
            if name in a["labels"]:  # a label the task did not ask stays missing
                array[k, row[a["post_id"]], col[a["annotator"]]] = a["labels"][name]
    return post_ids, annotators, array


def _as_2d(array: Any, what: str) -> np.ndarray:
    array = np.asarray(array, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"{what}: expected a posts x annotators array, got shape {array.shape}")
    return array


def cohen_kappa(array: Any) -> float:
    """Cohen's kappa of two annotators, on the posts both answered.

    Args:
        array: posts x 2, values 0/1, NaN where an annotator did not answer.

    Returns:
        Kappa (:func:`sklearn.metrics.cohen_kappa_score`), or NaN when it is undefined: no post
        answered by both, or both gave one and the same value throughout (chance agreement is 1).
    """
    array = _as_2d(array, "cohen_kappa")
    if array.shape[1] != 2:
        raise ValueError(f"cohen_kappa: expected two annotator columns, got {array.shape[1]}")
    both = ~np.isnan(array).any(axis=1)
    if not both.any():
        return math.nan
    # the inputs are checked float arrays: skipping sklearn's argument checks makes bootstrap
    # resamples (thousands of calls) markedly faster
    with warnings.catch_warnings(), sklearn.config_context(skip_parameter_validation=True):
        # undefined kappa is returned as NaN on purpose; the report says "undefined"
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        value = cohen_kappa_score(array[both, 0], array[both, 1], labels=_DOMAIN, replace_undefined_by=np.nan)
    return float(value)


def overlapping_pairs(array: Any) -> list[tuple[int, int]]:
    """The annotator pairs (column indices) that answered at least one post in common.

    Args:
        array: posts x annotators, NaN for missing.

    Returns:
        Pairs ``(i, j)`` with ``i < j``, in order.
    """
    answered = ~np.isnan(_as_2d(array, "overlapping_pairs"))
    return [(i, j) for i, j in itertools.combinations(range(answered.shape[1]), 2)
            if (answered[:, i] & answered[:, j]).any()]


def mean_pairwise_kappa(array: Any) -> float:
    """The mean of Cohen's kappa over annotator pairs (Light's kappa, on each pair's overlap).

    With missing answers every pair is scored on the posts both answered; pairs without overlap,
    or whose kappa is undefined, are left out of the mean. With exactly one overlapping pair this
    is that pair's :func:`cohen_kappa`.

    Args:
        array: posts x annotators, values 0/1, NaN for missing.

    Returns:
        The mean kappa, or NaN when no pair has a defined kappa.
    """
    array = _as_2d(array, "mean_pairwise_kappa")
    values = [cohen_kappa(array[:, [i, j]]) for i, j in overlapping_pairs(array)]
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


def krippendorff_alpha(array: Any) -> float:
    """Krippendorff's alpha (nominal) over posts, missing answers allowed.

    Args:
        array: posts x annotators, values 0/1 (or other nominal codes), NaN for missing.
            (``krippendorff.alpha`` wants
            annotators x units; the transpose is taken here.)

    Returns:
        Alpha, or NaN when it is undefined: no post with two answers, or a single value
        throughout (no expected disagreement).
    """
    array = _as_2d(array, "krippendorff_alpha")
    if not ((~np.isnan(array)).sum(axis=1) >= 2).any():
        return math.nan
    # 0 and 1 are always in the domain, so that a label nobody set to 1 is "undefined", not an
    # error; other codes (nominal, e.g. krippendorff's documented examples) are allowed too
    domain = np.union1d(_DOMAIN, array[~np.isnan(array)])
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 when every answer is the same value
        value = krippendorff.alpha(reliability_data=array.T, value_domain=domain, level_of_measurement="nominal")
    value = float(value)
    return value if math.isfinite(value) else math.nan


def set_alpha(array: Any) -> float:
    """One Krippendorff's alpha (nominal) over all labels together, each (post, label) a unit.

    Args:
        array: labels x posts x annotators, values 0/1, NaN for missing (as from
            :func:`answers_to_arrays`).

    Returns:
        Alpha, or NaN when undefined (see :func:`krippendorff_alpha`).
    """
    array = np.asarray(array, dtype=float)
    if array.ndim != 3:
        raise ValueError(f"set_alpha: expected a labels x posts x annotators array, got shape {array.shape}")
    return krippendorff_alpha(array.reshape(-1, array.shape[2]))


class BootstrapInterval(tuple):
    """A ``(low, high)`` interval that also says how many resamples were left out.

    Attributes:
        low, high: the bounds (NaN when every resample was undefined).
        n_boot: resamples drawn.
        n_skipped: resamples where the statistic was undefined (NaN), left out of the percentiles.
    """

    def __new__(cls, low: float, high: float, *, n_boot: int, n_skipped: int) -> Self:
        self = super().__new__(cls, (low, high))
        self.n_boot = n_boot
        self.n_skipped = n_skipped
        return self

    @property
    def low(self) -> float:
        return self[0]

    @property
    def high(self) -> float:
        return self[1]

    def __repr__(self) -> str:
        return f"BootstrapInterval(low={self[0]!r}, high={self[1]!r}, n_boot={self.n_boot}, n_skipped={self.n_skipped})"


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float],
    array: Any,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    axis: int | None = None,
) -> BootstrapInterval:
    """Percentile bootstrap interval of ``statistic``, resampling posts with replacement.

    Args:
        statistic: a function of an array like ``array`` returning a float (NaN when undefined).
        array: posts x annotators, or labels x posts x annotators.
        n_boot: resamples.
        seed: seed of the resampling (:func:`numpy.random.default_rng`).
        level: coverage of the interval, e.g. 0.95.
        axis: the posts axis; by default the second-to-last (0 for 2-D, 1 for 3-D arrays), so that
            a post is resampled with all its labels.

    Returns:
        ``(low, high)`` as a :class:`BootstrapInterval`; its ``n_skipped`` counts resamples where
        the statistic was undefined (e.g. all answers the same), which are left out. Both bounds
        are NaN when all resamples were undefined or there are no posts.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, not {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    array = np.asarray(array, dtype=float)
    axis = array.ndim - 2 if axis is None else axis
    n = array.shape[axis]
    if n == 0:
        return BootstrapInterval(math.nan, math.nan, n_boot=n_boot, n_skipped=n_boot)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        value = statistic(np.take(array, rng.integers(0, n, size=n), axis=axis))
        if value is not None and math.isfinite(value):
            values.append(value)
    n_skipped = n_boot - len(values)
    if not values:
        return BootstrapInterval(math.nan, math.nan, n_boot=n_boot, n_skipped=n_skipped)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return BootstrapInterval(float(low), float(high), n_boot=n_boot, n_skipped=n_skipped)


def _num(value: float) -> float | None:
    """A plain float for JSON, None for undefined."""
    return None if value is None or not math.isfinite(value) else float(value)


def _interval(statistic: Callable[[np.ndarray], float], array: np.ndarray, point: float, *,
              n_boot: int, seed: int, level: float) -> tuple[list[float] | None, int | None]:
    """An interval for the report: ([low, high] or None, skipped resamples or None when not run)."""
    if n_boot == 0 or math.isnan(point):
        return None, None  # no point estimate, nothing to put an interval around
    ci = bootstrap_interval(statistic, array, n_boot=n_boot, seed=seed, level=level)
    bounds = None if math.isnan(ci.low) else [float(ci.low), float(ci.high)]
    return bounds, ci.n_skipped


def agreement_report(answers: Iterable[dict], *, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> dict[str, Any]:
    """Agreement per label and over the whole label set, with bootstrap intervals over posts.

    Only posts answered by two or more annotators (after undos, latest answers, unclear ones
    skipped) carry information on agreement; statistics and intervals are computed on them.

    Args:
        answers: answer and undo records, in file order.
        n_boot: bootstrap resamples per interval (0: no intervals).
        seed: seed of the resampling.
        level: coverage of the intervals.

    Returns:
        A JSON-serialisable dict (plain floats and ints; None where a statistic is undefined)::

            {"n_posts", "n_posts_double", "n_answers", "n_unclear", "annotators",
             "bootstrap": {"n_boot", "seed", "level", "unit": "post"},
             "labels": {label: {"n_posts", "n_posts_double", "n_answers", "prevalence",
                                "kappa", "kappa_kind", "kappa_pairs", "kappa_ci", "kappa_ci_skipped",
                                "alpha", "alpha_ci", "alpha_ci_skipped"}},
             "set": {"n_units", "alpha", "alpha_ci", "alpha_ci_skipped"},
             "notes": [...]}

        ``prevalence`` is the share of 1s among all current answers for the label. ``kappa_kind``
        is "cohen" when exactly one pair of annotators overlaps, "mean_pairwise_cohen" (the mean
        of the pairs' kappas) when more do, None when none do. Intervals are ``[low, high]``;
        ``*_ci_skipped`` counts resamples where the statistic was undefined.
    """
    answers = list(answers)
    n_unclear = sum(1 for a in current_answers(answers, include_unclear=True) if a.get("unclear", False))
    post_ids, annotators, array = answers_to_arrays(answers)
    n_answered = (~np.isnan(array)).sum(axis=2)  # labels x posts
    # a post counts as double for a label when two annotators answered that label (tasks may ask a
    # subset of the labels); for the set-level alpha, when two answered any label
    double = n_answered.max(axis=0, initial=0) >= 2 if array.shape[1] else np.zeros(0, dtype=bool)
    notes = [
        ("current answers only: undos applied, the latest answer per annotator and post; "
         f"answers flagged unclear are skipped ({n_unclear} skipped)"),
        (f"intervals: {level:.0%} percentile bootstrap over posts answered twice or more, "
         f"{n_boot} resamples, seed {seed}; resamples where a statistic is undefined are left out and counted"),
    ]
    labels: dict[str, dict[str, Any]] = {}
    for k, name in enumerate(LABEL_NAMES):
        label_array = array[k]
        values = label_array[~np.isnan(label_array)]
        sub = label_array[n_answered[k] >= 2]
        pairs = overlapping_pairs(sub) if sub.size else []
        if len(pairs) == 1:
            kind = "cohen"
            sub_kappa = sub[:, list(pairs[0])]
            kappa_stat: Callable[[np.ndarray], float] = cohen_kappa
        else:
            kind = "mean_pairwise_cohen" if pairs else None
            sub_kappa = sub
            kappa_stat = mean_pairwise_kappa
        kappa = kappa_stat(sub_kappa) if pairs else math.nan
        kappa_ci, kappa_skipped = _interval(kappa_stat, sub_kappa, kappa, n_boot=n_boot, seed=seed, level=level)
        alpha = krippendorff_alpha(sub) if sub.size else math.nan
        alpha_ci, alpha_skipped = _interval(krippendorff_alpha, sub, alpha, n_boot=n_boot, seed=seed, level=level)
        if kind == "mean_pairwise_cohen":
            notes.append(f"{name}: kappa is the mean of Cohen's kappa over {len(pairs)} annotator pairs")
        labels[name] = {
            "n_posts": int((n_answered[k] >= 1).sum()),
            "n_posts_double": int((n_answered[k] >= 2).sum()),
            "n_answers": int(values.size),
            "prevalence": _num(float(values.mean())) if values.size else None,
            "kappa": _num(kappa),
            "kappa_kind": kind,
            "kappa_pairs": len(pairs),
            "kappa_ci": kappa_ci,
            "kappa_ci_skipped": kappa_skipped,
            "alpha": _num(alpha),
            "alpha_ci": alpha_ci,
            "alpha_ci_skipped": alpha_skipped,
        }
    sub3 = array[:, double, :]
    s_alpha = set_alpha(sub3) if sub3.size else math.nan
    s_ci, s_skipped = _interval(set_alpha, sub3, s_alpha, n_boot=n_boot, seed=seed, level=level)
    return {
        "n_posts": len(post_ids),
        "n_posts_double": int(double.sum()),
        "n_answers": int((~np.isnan(array)).any(axis=0).sum()) if array.size else 0,
        "n_unclear": n_unclear,
        "annotators": list(annotators),
        "bootstrap": {"n_boot": n_boot, "seed": seed, "level": level, "unit": "post"},
        "labels": labels,
        "set": {"n_units": int(sub3.shape[0] * sub3.shape[1]), "alpha": _num(s_alpha), "alpha_ci": s_ci,
                "alpha_ci_skipped": s_skipped},
        "notes": notes,
    }


def _fmt(value: float | None, ci: list[float] | None = None) -> str:
    if value is None:
        return "undefined"
    text = f"{value:.3f}"
    if ci is not None:
        text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
    return text


def format_report(report: dict[str, Any]) -> str:
    """The report of :func:`agreement_report` as a plain-text table.

    Args:
        report: from :func:`agreement_report` (or its JSON, read back).

    Returns:
        Text ending in a newline: a summary line, one row per label and one for the label set
        (posts answered twice or more, prevalence, kappa and alpha with intervals), then the notes.
        A kappa marked ``*`` is a mean over annotator pairs.
    """
    level = report["bootstrap"]["level"]
    lines = [
        (f"{report['n_posts']} posts, {report['n_posts_double']} answered by two or more of "
         f"{len(report['annotators'])} annotators; {report['n_answers']} current answers, "
         f"{report['n_unclear']} unclear skipped"),
        "",
    ]
    head = ("label", "posts>=2", "prevalence", f"kappa [{level:.0%} CI]", f"alpha [{level:.0%} CI]")
    rows = []
    for name, r in report["labels"].items():
        kappa = _fmt(r["kappa"], r["kappa_ci"]) + ("*" if r["kappa_kind"] == "mean_pairwise_cohen" else "")
        prevalence = "-" if r["prevalence"] is None else f"{r['prevalence']:.3f}"
        rows.append((name, str(r["n_posts_double"]), prevalence, kappa, _fmt(r["alpha"], r["alpha_ci"])))
    rows.append(("all labels (set)", str(report["n_posts_double"]), "-", "-",
                 _fmt(report["set"]["alpha"], report["set"]["alpha_ci"])))
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        lines.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
    if any(r["kappa_kind"] == "mean_pairwise_cohen" for r in report["labels"].values()):
        lines.append("* mean of Cohen's kappa over annotator pairs")
    lines.append("")
    lines += [f"note: {n}" for n in report["notes"]]
    n_boot = report["bootstrap"]["n_boot"]
    skipped = [(f"{name} {stat}", r[f"{stat}_ci_skipped"]) for name, r in report["labels"].items() for stat in ("kappa", "alpha")]
    skipped.append(("set alpha", report["set"]["alpha_ci_skipped"]))
    lines += [f"note: {what}: {n} of {n_boot} resamples undefined, left out of the interval" for what, n in skipped if n]
    return "\n".join(lines) + "\n"
