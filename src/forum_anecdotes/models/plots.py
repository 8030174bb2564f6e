"""Figures of the evaluation report: precision-recall curves and reliability diagrams, as PNG.

They draw the data that :func:`~forum_anecdotes.models.metrics.pr_curve` and
:func:`~forum_anecdotes.models.metrics.reliability` compute (and that ``report.json`` keeps), so a
figure can be redrawn from the report alone. Figures are rendered on matplotlib's Agg canvas
directly, not through ``pyplot``: nothing global changes, nothing needs a display, and no figure
stays open in a long process.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from forum_anecdotes.labels import LABEL_NAMES, LABELS_BY_NAME

_COLUMNS = 3
_DPI = 100


def _grid(n_panels: int, title: str) -> tuple[Figure, list[Any]]:
    """A figure with one subplot per panel plus a spare cell for the legend, on an Agg canvas."""
    rows = math.ceil((n_panels + 1) / _COLUMNS)
    fig = Figure(figsize=(5.2 * _COLUMNS, 4.4 * rows))
    FigureCanvasAgg(fig)
    axes = list(fig.subplots(rows, _COLUMNS, squeeze=False).ravel())
    # fixed margins with room for two-line panel titles: an automatic layout
    # engine would cost more time than drawing the figure
    fig.subplots_adjust(left=0.05, right=0.95, bottom=0.07, top=1 - 0.5 / (4.4 * rows) - 0.06, wspace=0.3, hspace=0.42)
    fig.suptitle(title, fontsize=14)
    return fig, axes


def _finish(fig: Figure, axes: list[Any], n_panels: int, path: Path, key: list[Any]) -> Path:
    """Put the key (legend artists shared by all panels) in the first spare cell, hide spare cells, write the PNG."""
    for ax in axes[n_panels:]:
        ax.axis("off")
    if len(axes) > n_panels:
        axes[n_panels].legend(handles=key, loc="center", fontsize=11, frameon=False, title="key")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=_DPI)
    return path


def _label_title(name: str) -> str:
    label = LABELS_BY_NAME.get(name)
    return f"{label.title} ({name})" if label else name


def plot_pr_curves(
    curves: Mapping[str, Mapping[str, dict | None]],
    path: str | Path,
    *,
    title: str = "Precision-recall curves on the test split",
    operating_points: Mapping[str, Mapping[str, dict]] | None = None,
    names: Sequence[str] = LABEL_NAMES,
) -> Path:
    """Per-label precision-recall curves, one line per system.

    Args:
        curves: system -> label -> :func:`~forum_anecdotes.models.metrics.pr_curve` output (None
            when the label has no known positive).
        path: the PNG to write.
        title: the figure title.
        operating_points: system -> label -> a dict with ``precision`` and ``recall`` at the
            system's threshold (e.g. a label entry of ``label_metrics``), marked on its line.
        names: the labels, one subplot each, in this order.

    Returns:
        The written path.
    """
    fig, axes = _grid(len(names), title)
    for ax, name in zip(axes, names):
        drawn = None
        for i, (system, by_label) in enumerate(curves.items()):
            curve, color = by_label.get(name), f"C{i}"  # a system keeps its color in every panel
            if curve is None:
                continue
            ax.step(curve["recall"], curve["precision"], where="post", color=color, lw=1.6,
                    label=f"{system} (AP {_fmt(curve['pr_auc'])})")
            point = (operating_points or {}).get(system, {}).get(name)
            if point and point.get("precision") is not None and point.get("recall") is not None:
                ax.plot(point["recall"], point["precision"], "o", color=color, ms=7, mec="black")
            drawn = curve
        if drawn is None:
            ax.text(0.5, 0.5, "no known positive", ha="center", va="center", transform=ax.transAxes)
            ax.set_title(_label_title(name), fontsize=11)
        else:
            ax.axhline(drawn["prevalence"], color="grey", ls=":", lw=1)  # precision of guessing at random
            ax.set_title(f"{_label_title(name)}\n{drawn['support']} positive of {drawn['n_known']} known", fontsize=11)
            ax.legend(loc="lower left", fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.grid(alpha=0.3)
    key = [Line2D([], [], marker="o", ls="", mfc="white", mec="black", ms=7, label="at the system's threshold"),
           Line2D([], [], color="grey", ls=":", label="positive rate (random guess)")]
    return _finish(fig, axes, len(names), Path(path), key)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def plot_reliability(
    diagrams: Mapping[str, dict],
    path: str | Path,
    *,
    title: str = "Reliability of the calibrated probabilities (test split)",
    before: Mapping[str, dict] | None = None,
    names: Sequence[str] = LABEL_NAMES,
) -> Path:
    """Per-label reliability diagrams: mean predicted probability against observed rate, with bin counts.

    Args:
        diagrams: label -> :func:`~forum_anecdotes.models.metrics.reliability` output for the
            calibrated probabilities.
        path: the PNG to write.
        title: the figure title.
        before: label -> reliability of the uncalibrated probabilities, drawn in grey when given.
        names: the labels, one subplot each, in this order.

    Returns:
        The written path.
    """
    fig, axes = _grid(len(names), title)
    for ax, name in zip(axes, names):
        diagram = diagrams.get(name)
        ax.plot([0, 1], [0, 1], color="black", ls="--", lw=1, label="perfect calibration")
        if diagram is None or diagram["n"] == 0:
            ax.text(0.5, 0.5, "no known cell", ha="center", va="center", transform=ax.transAxes)
        else:
            edges, counts = diagram["edges"], diagram["count"]
            # where the bins are thin the curve is noisy: bars show each bin's share of the posts
            # (same 0-1 axis), labelled with its count
            shares = [c / diagram["n"] for c in counts]
            ax.bar(edges[:-1], shares, width=[b - a for a, b in itertools.pairwise(edges)], align="edge",
                   color="C0", alpha=0.15, edgecolor="C0")
            for left, right, share, c in zip(edges, edges[1:], shares, counts):
                if c:
                    ax.text((left + right) / 2, share + 0.01, str(c), ha="center", va="bottom", fontsize=7, color="C0")
            if before and before.get(name):
                _reliability_line(ax, before[name], color="grey", label="before calibration", marker="s")
            _reliability_line(ax, diagram, color="C3", label="calibrated", marker="o")
            ax.set_title(f"{_label_title(name)}\n{diagram['n']} known posts", fontsize=11)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("mean predicted probability")
        ax.set_ylabel("observed positive rate")
        ax.grid(alpha=0.3)
    key = [Line2D([], [], color="black", ls="--", label="perfect calibration"),
           Line2D([], [], color="C3", marker="o", label="calibrated")]
    if before:
        key.append(Line2D([], [], color="grey", marker="s", label="before calibration"))
    key.append(Patch(color="C0", alpha=0.15, label="share of posts in bin (count above)"))
    return _finish(fig, axes, len(names), Path(path), key)


def _reliability_line(ax: Any, diagram: dict, *, color: str, label: str, marker: str) -> None:
    """The non-empty bins of one reliability diagram as a line."""
    points = [(p, o) for p, o, c in zip(diagram["mean_prob"], diagram["observed"], diagram["count"]) if c]
    if points:
        xs, ys = zip(*points)
        ax.plot(xs, ys, marker=marker, color=color, lw=1.6, ms=5, label=label)
