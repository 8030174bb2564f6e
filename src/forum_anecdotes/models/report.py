"""The evaluation report: the model beside the baselines on the test split, as JSON, Markdown and PNG.

:func:`evaluation_report` scores every system on the whole test split and on each source's posts,
checks the project's targets (:data:`TARGETS`), and keeps the data of the figures; the result is
plain JSON. :func:`write_report` writes ``report.json``, ``report.md`` and the figures into a folder.

Only known gold cells are scored (see :mod:`forum_anecdotes.models.metrics`). A target is "met"
or "missed" on its point estimate, and the report also says when the 95% interval crosses the
target, so that a small test split is not read as more certain than it is.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from forum_anecdotes.io import atomic_write
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models import metrics, plots

#: Per-label F1 targets of the model: label -> the lowest acceptable F1.
F1_TARGETS: dict[str, float] = {"ssri_withdrawal": 0.85, "first_hand": 0.85, "abuse_harm": 0.80}

#: Figure files written beside the report.
PR_FIGURE = "pr_curves.png"
RELIABILITY_FIGURE = "reliability.png"

#: Points kept per precision-recall curve in the report (enough to draw it, small enough to read).
CURVE_POINTS = 200


def evaluation_report(
    *,
    y: Any,
    known: Any,
    sources: Sequence[str | None],
    systems: Mapping[str, tuple[Any, Any]],
    calibration: Mapping[str, Any] | None = None,
    model: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    n_bins: int = 10,
    names: Sequence[str] = LABEL_NAMES,
) -> dict[str, Any]:
    """Score the model and the baselines on the test split.

    Args:
        y: gold values of the test posts (posts x labels).
        known: bool mask of known gold cells.
        sources: each post's source, for the breakdown by source (None reads as "unknown").
        systems: system name -> ``(probs, thresholds)``; probabilities (posts x labels) and
            per-label thresholds (sequence or ``{label: threshold}``). The model first, unless
            ``model`` names it; the others are baselines.
        calibration: the model's calibration, or None: ``{"before": uncalibrated probabilities
            (posts x labels), "method": ..., ...}``; the other keys (e.g. ``temperature``) are
            copied into the report. The calibrated probabilities are the model's in ``systems``.
        model: which system is the model (default: the first).
        n_boot: bootstrap resamples for the intervals.
        seed: seed of the resampling.
        n_bins: bins of the calibration error and the reliability diagrams.
        names: the label of each column.

    Returns:
        A JSON-safe dict: ``labels``, ``n_posts``, ``model``, ``baselines``, ``sources`` (posts per
        source), ``systems`` (per system: ``role``, ``thresholds``, ``overall`` and ``by_source``,
        each a :func:`~forum_anecdotes.models.metrics.label_metrics` result), ``comparisons``
        (model minus each baseline in macro F1, paired bootstrap), ``targets``, ``calibration``,
        ``curves`` (system -> label -> precision-recall curve) and ``settings``.
    """
    y, known = np.asarray(y), np.asarray(known, dtype=bool)
    sources = np.array(["unknown" if s is None else str(s) for s in sources], dtype=object)
    if len(sources) != len(y):
        raise ValueError(f"{len(sources)} sources for {len(y)} posts")
    if not systems:
        raise ValueError("no system to evaluate")
    model = model or next(iter(systems))
    if model not in systems:
        raise ValueError(f"model {model!r} is not among the systems ({', '.join(systems)})")
    baselines = [name for name in systems if name != model]
    boot = {"n_boot": n_boot, "seed": seed, "names": names}

    report_systems: dict[str, Any] = {}
    curves: dict[str, Any] = {}
    for name, (probs, thresholds) in systems.items():
        probs = np.asarray(probs, dtype=float)
        t = metrics.threshold_array(thresholds, names=names)
        report_systems[name] = {
            "role": "model" if name == model else "baseline",
            "thresholds": dict(zip(names, t.tolist())),
            "overall": metrics.label_metrics(y, known, probs, t, **boot),
            "by_source": {
                source: metrics.label_metrics(y[rows], known[rows], probs[rows], t, **boot)
                for source in sorted(set(sources))
                for rows in [sources == source]
            },
        }
        curves[name] = {label: metrics.pr_curve(y[:, j], known[:, j], probs[:, j], max_points=CURVE_POINTS)
                        for j, label in enumerate(names)}

    model_probs, model_t = systems[model]
    comparisons = {
        base: metrics.macro_f1_difference(y, known, model_probs, model_t, *systems[base], **boot)
        for base in baselines
    }
    report = {
        "labels": list(names),
        "n_posts": len(y),
        "model": model,
        "baselines": baselines,
        "sources": {s: int((sources == s).sum()) for s in sorted(set(sources))},
        "systems": report_systems,
        "comparisons": comparisons,
        "targets": _targets(report_systems, model, baselines, comparisons),
        "calibration": _calibration(y, known, np.asarray(model_probs, float), calibration, n_bins=n_bins, names=names),
        "curves": curves,
        "settings": {"n_boot": n_boot, "seed": seed, "n_bins": n_bins, "ci_level": metrics.CI_LEVEL},
    }
    return metrics.json_safe(report)


def _targets(systems: dict, model: str, baselines: list[str], comparisons: dict) -> list[dict[str, Any]]:
    """The project's targets, each with its value, interval and status."""
    out = []
    labels = systems[model]["overall"]["labels"]
    for label, minimum in F1_TARGETS.items():
        entry = labels.get(label, {})
        value, ci = entry.get("f1"), entry.get("f1_ci")
        out.append({
            "target": f"{model} F1 on {label} >= {minimum:.2f}",
            "value": value,
            "ci": ci,
            "bound": minimum,
            "met": None if value is None else value >= minimum,
            # whether the interval lies on one side of the bound (None: no interval)
            "certain": None if ci is None or value is None else (ci[0] >= minimum or ci[1] < minimum),
        })
    model_macro = systems[model]["overall"]["macro"]
    for base in baselines:
        base_f1 = systems[base]["overall"]["macro"]["f1"]
        value, diff = model_macro["f1"], comparisons[base]
        met = None if value is None or base_f1 is None else value > base_f1
        ci = diff["ci"]
        out.append({
            "target": f"{model} macro F1 above {base}",
            "value": value,
            "ci": model_macro["f1_ci"],
            "bound": base_f1,
            "met": met,
            "difference": diff["difference"],
            "difference_ci": ci,
            "certain": None if ci is None or met is None else (ci[0] > 0 or ci[1] <= 0),
        })
    return out


def _calibration(y: np.ndarray, known: np.ndarray, after: np.ndarray, calibration: Mapping[str, Any] | None,
                 *, n_bins: int, names: Sequence[str]) -> dict[str, Any]:
    """ECE (pooled and per label) and reliability data of the model, before and after calibration."""
    def summary(probs: np.ndarray) -> tuple[dict, dict]:
        ece = {"all": metrics.ece(probs, y, known=known, n_bins=n_bins)}
        ece |= {label: metrics.ece(probs[:, j], y[:, j], known=known[:, j], n_bins=n_bins) for j, label in enumerate(names)}
        diagrams = {label: metrics.reliability(probs[:, j], y[:, j], known=known[:, j], n_bins=n_bins)
                    for j, label in enumerate(names)}
        return ece, diagrams

    extra = {k: v for k, v in (calibration or {}).items() if k not in ("before", "method")}
    ece_after, rel_after = summary(after)
    out = {
        "method": (calibration or {}).get("method"),
        "params": extra,
        "n_bins": n_bins,
        "ece": {"before": None, "after": ece_after},
        "reliability": {"before": None, "after": rel_after},
    }
    if calibration is not None and calibration.get("before") is not None:
        out["ece"]["before"], out["reliability"]["before"] = summary(np.asarray(calibration["before"], float))
    return out


# ------------------------------------------------------------------------------------------------
# Writing


def write_report(report: Mapping[str, Any], out_dir: str | Path, *, title: str = "Classifier evaluation",
                 figures: bool = True) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and (with ``figures``) the PNGs into a folder.

    Args:
        report: an :func:`evaluation_report` result (or the same read back from ``report.json``).
        out_dir: the folder; created when missing, files in it overwritten.
        title: the Markdown title.
        figures: draw ``pr_curves.png`` and ``reliability.png`` from the report's curve data.

    Returns:
        What was written: ``json``, ``md``, and ``pr_curves`` and ``reliability`` with figures.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if figures:
        names = report["labels"]
        operating = {name: s["overall"]["labels"] for name, s in report["systems"].items()}
        written["pr_curves"] = plots.plot_pr_curves(report["curves"], out_dir / PR_FIGURE,
                                                    operating_points=operating, names=names)
        calib = report["calibration"]
        written["reliability"] = plots.plot_reliability(
            calib["reliability"]["after"], out_dir / RELIABILITY_FIGURE, before=calib["reliability"]["before"],
            names=names, title=f"Reliability of {report['model']}'s probabilities (test split)")
    with atomic_write(out_dir / "report.json") as f:
        f.write(json.dumps(report, indent=2, allow_nan=False) + "\n")
    written["json"] = out_dir / "report.json"
    with atomic_write(out_dir / "report.md") as f:
        f.write(markdown(report, title=title, figures=[p.name for k, p in written.items() if k != "json"]))
    written["md"] = out_dir / "report.md"
    return written


def _f(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _ci(value: float | None, ci: Sequence[float] | None) -> str:
    return _f(value) + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def _status(target: Mapping[str, Any]) -> str:
    if target["met"] is None:
        return "undefined (no value to compare)"
    status = "**met**" if target["met"] else "**missed**"
    if target.get("certain") is False:
        status += " (the 95% interval crosses the bound)"
    return status


def markdown(report: Mapping[str, Any], *, title: str, figures: Sequence[str] = ()) -> str:
    """The report as Markdown: targets, per-label and averaged tables, sources, calibration, figures.

    Args:
        report: an :func:`evaluation_report` result.
        title: the document title.
        figures: PNG file names beside the Markdown file, to embed.

    Returns:
        The Markdown text.
    """
    model, systems, names = report["model"], report["systems"], report["labels"]
    s = report["settings"]
    lines = [
        f"# {title}", "",
        f"Test split: {report['n_posts']} posts. Model: `{model}`; baselines: "
        + (", ".join(f"`{b}`" for b in report["baselines"]) or "none") + ".",
        "",
        ("Only known gold labels are scored: an unknown label counts neither as positive nor as negative. "
         f"Intervals are {s['ci_level']:.0%} percentile bootstrap intervals over posts "
         f"({s['n_boot']} resamples, seed {s['seed']}). A post is predicted positive when its probability "
         "reaches the system's threshold (in the table below)."), "",
        "## Targets", "",
        "| target | value [95% CI] | compared with | status |", "|---|---|---|---|",
    ]
    for t in report["targets"]:
        bound = _f(t["bound"])
        if "difference" in t:
            bound += f" (difference {_ci(t['difference'], t['difference_ci'])})"
        lines.append(f"| {t['target']} | {_ci(t['value'], t['ci'])} | {bound} | {_status(t)} |")

    lines += ["", "## Per label (whole test split)", "",
              "| label | system | positives | known | threshold | precision | recall | F1 [95% CI] | PR-AUC |",
              "|---|---|---|---|---|---|---|---|---|"]
    for label in names:
        for name, system in systems.items():
            m = system["overall"]["labels"][label]
            shown = f"**{name}**" if name == model else name
            lines.append(f"| {label} | {shown} | {m['support']} | {m['n_known']} | {_f(m['threshold'], 2)} | "
                         f"{_f(m['precision'])} | {_f(m['recall'])} | {_ci(m['f1'], m['f1_ci'])} | {_f(m['pr_auc'])} |")

    lines += ["", "## Averages (whole test split)", "",
              "Micro pools the known cells of all labels; macro is the mean over labels.", "",
              ("| system | micro precision | micro recall | micro F1 [95% CI] | macro precision | macro recall | "
               "macro F1 [95% CI] | macro PR-AUC |"), "|---|---|---|---|---|---|---|---|"]
    for name, system in systems.items():
        mi, ma = system["overall"]["micro"], system["overall"]["macro"]
        lines.append(f"| {name} | {_f(mi['precision'])} | {_f(mi['recall'])} | {_ci(mi['f1'], mi['f1_ci'])} | "
                     f"{_f(ma['precision'])} | {_f(ma['recall'])} | {_ci(ma['f1'], ma['f1_ci'])} | {_f(ma['pr_auc'])} |")
    if report["comparisons"]:
        lines += ["", f"Paired bootstrap, macro F1 of `{model}` minus the baseline's:", "",
                  "| baseline | difference [95% CI] | share of resamples where the model is not better |",
                  "|---|---|---|"]
        for base, c in report["comparisons"].items():
            lines.append(f"| {base} | {_ci(c['difference'], c['ci'])} | {_f(c['share_not_better'])} |")

    lines += ["", "## By source", "",
              "F1 per label (positives among known posts in brackets) and macro F1 of each system on each source's posts.", ""]
    for source, n in report["sources"].items():
        first = systems[model]["by_source"][source]["labels"]
        lines += [f"### {source} ({n} posts)", "",
                  "| system | " + " | ".join(f"{label} ({first[label]['support']}/{first[label]['n_known']})" for label in names)
                  + " | macro F1 [95% CI] | micro F1 |",
                  "|---|" + "---|" * (len(names) + 2)]
        for name, system in systems.items():
            m = system["by_source"][source]
            lines.append(f"| {name} | " + " | ".join(_f(m["labels"][label]["f1"]) for label in names)
                         + f" | {_ci(m['macro']['f1'], m['macro']['f1_ci'])} | {_f(m['micro']['f1'])} |")
        lines.append("")

    calib = report["calibration"]
    before = calib["ece"]["before"]
    lines += ["## Calibration", "",
              f"Expected calibration error of `{model}` ({calib['n_bins']} equal-width bins, known cells only). "
              + (f"Method: {calib['method']}." if calib["method"] else "No calibration was given: only the final probabilities are shown."),
              "", "| labels | ECE before | ECE after |", "|---|---|---|"]
    for key in ["all", *names]:
        lines.append(f"| {'all (pooled)' if key == 'all' else key} | {_f(before[key]) if before else 'n/a'} | "
                     f"{_f(calib['ece']['after'][key])} |")
    if figures:
        lines += ["", "## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in figures]
    return "\n".join(lines) + "\n"
