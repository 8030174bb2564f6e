"""The prevalence report: CSV tables, a Markdown summary and PNG figures, all written atomically.

The report holds aggregates only: every input is refused if it has a column that could carry
post text (see :func:`~forum_anecdotes.analysis.prevalence.check_aggregate`). Small cells are
marked ``†`` and shown in parentheses, never emphasised. Figures are drawn on matplotlib's Agg
canvas without ``pyplot``, as in :mod:`forum_anecdotes.models.plots`.
"""
from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from forum_anecdotes.analysis.prevalence import (
    TABLE_COLUMNS,
    ErrorRates,
    check_aggregate,
    error_rates_table,
    gold_comparison,
    require_columns,
    share,
)
from forum_anecdotes.io import atomic_write
from forum_anecdotes.labels import LABEL_NAMES, LABELS_BY_NAME

_COLUMNS = 3
_DPI = 120
_SMALL = "†"
_CLIPPED = "‡"
_SECTIONS = (("year", "By year"), ("group", "By group (community or source)"), ("drug_class", "By substance class"))


def write_report(out_dir: str | os.PathLike, *, table: pd.DataFrame, cooccurrence_substances: pd.DataFrame,
                 cooccurrence_classes: pd.DataFrame, gold: pd.DataFrame | None, rates: Mapping[str, ErrorRates],
                 meta: Mapping[str, Any], min_posts: int = 30, top_substances: int = 15, heatmap_substances: int = 20,
                 n_draws: int = 4000, seed: int = 0) -> list[Path]:
    """Write the prevalence report into ``out_dir``.

    Args:
        out_dir: the folder (created if missing).
        table: :func:`~forum_anecdotes.analysis.prevalence.prevalence_table` output.
        cooccurrence_substances: indexed by substance, columns posts and one count per label.
        cooccurrence_classes: the same, indexed by drug class.
        gold: gold counts indexed by label (posts, gold_positive, tagged_positive), or the output of
            :func:`~forum_anecdotes.analysis.prevalence.gold_comparison`; None or empty for none.
        rates: label -> error rates used for the correction.
        meta: the run: ``command`` (required), and as known ``input``, ``posts``, ``rejected``,
            ``skipped``, ``engine``, ``model`` (a name, or a dict with name and version),
            ``model_version``, ``seconds``, ``date``.
        min_posts: co-occurrence rows with fewer posts are marked small.
        top_substances: substances (most posts first) in the Markdown co-occurrence table.
        heatmap_substances: substances in the co-occurrence heat map.
        n_draws: bootstrap draws, when the gold comparison is computed here.
        seed: bootstrap seed, likewise.

    Returns:
        The paths written: prevalence.csv, cooccurrence_substances.csv, cooccurrence_classes.csv,
        gold_comparison.csv (only with gold), error_rates.csv, the three PNGs, report.md.

    Raises:
        ValueError: for a missing command, missing table columns, or a column that could hold text.
    """
    if not meta.get("command"):
        raise ValueError("meta: the command that produced the report is required")
    require_columns(table, TABLE_COLUMNS, "table")
    check_aggregate(table, "table", text_ok=("dimension", "value", "label", "note", "small"))
    subs = _shares(cooccurrence_substances, "cooccurrence_substances", min_posts)
    classes = _shares(cooccurrence_classes, "cooccurrence_classes", min_posts)
    if gold is not None and len(gold) and "covers" not in gold.columns:
        gold = gold_comparison(gold, rates, min_posts=min_posts, n_draws=n_draws, seed=seed)
    elif gold is not None and len(gold):
        check_aggregate(gold, "gold", text_ok=("covers", "small"))
    errors = error_rates_table(rates)

    out = Path(out_dir)
    written = [_csv(table, out / "prevalence.csv", index=False), _csv(subs, out / "cooccurrence_substances.csv"),
               _csv(classes, out / "cooccurrence_classes.csv")]
    if gold is not None and len(gold):
        written.append(_csv(gold, out / "gold_comparison.csv"))
    written.append(_csv(errors, out / "error_rates.csv"))
    figures = [_png(_by_year_figure(table), out / "prevalence_by_year.png"),
               _png(_by_class_figure(table), out / "prevalence_by_class.png"),
               _png(_cooccurrence_figure(subs, heatmap_substances, min_posts), out / "cooccurrence.png")]
    written += figures
    md = _markdown(table, subs, classes, gold, errors, meta, figures, min_posts=min_posts, top=top_substances)
    with atomic_write(out / "report.md") as f:
        f.write(md)
    written.append(out / "report.md")
    return written


def _shares(frame: pd.DataFrame, what: str, min_posts: int) -> pd.DataFrame:
    """posts, label counts, share_<label> columns and a small flag; checked to hold counts only."""
    require_columns(frame, ("posts", *LABEL_NAMES), what)
    check_aggregate(frame, what)
    out = frame[["posts", *LABEL_NAMES]].copy()
    for name in LABEL_NAMES:
        out[f"share_{name}"] = share(out[name], out["posts"])
    out["small"] = out["posts"] < min_posts
    return out


def _csv(frame: pd.DataFrame, path: Path, *, index: bool = True) -> Path:
    with atomic_write(path) as f:
        frame.to_csv(f, index=index, lineterminator="\n")
    return path


def _png(fig: Figure, path: Path) -> Path:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    with atomic_write(path, "wb") as f:
        f.write(buffer.getvalue())
    return path


# ---------------------------------------------------------------- Markdown

def _pct(x: float) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{100 * x:.1f}"


def _ci(low: float, high: float) -> str:
    return "[n/a]" if pd.isna(low) or pd.isna(high) else f"[{_pct(low)}–{_pct(high)}]"


def _esc(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _flag(text: str, small: bool) -> str:
    return f"({text}){_SMALL}" if small else text


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _meta_lines(meta: Mapping[str, Any]) -> list[str]:
    model = meta.get("model")
    if isinstance(model, Mapping):
        digest = model.get("digest")
        model = " ".join(str(model[k]) for k in ("name", "version") if model.get(k) is not None)
        model += f" (weights {digest})" if digest else ""
    if meta.get("model_version"):
        model = f"{model} {meta['model_version']}"
    seconds = meta.get("seconds")
    mode = meta.get("mode")
    items = [("Date", meta.get("date")), ("Input", meta.get("input")), ("Posts analysed", meta.get("posts")),
             ("Posts without a date", meta.get("undated")),
             ("Rejected", meta.get("rejected")), ("Skipped", meta.get("skipped")), ("Engine", meta.get("engine")),
             ("Model", model),
             ("Precision mode", None if mode is None else f"{mode} (its own error rates correct its tags)"),
             ("Posts matched to gold labels", meta.get("gold_matched")),
             ("Run time", None if seconds is None else f"{float(seconds):.1f} s ({_minutes(float(seconds))})")]
    lines = [f"- **{k}:** {_esc(v)}" for k, v in items if v is not None and v != ""]
    lines += ["", "Command:", "", "```", str(meta["command"]), "```"]
    if meta.get("report_command"):  # a report re-rendered from stored tags
        lines += ["", "Report re-rendered from the stored tags with:", "", "```", str(meta["report_command"]), "```"]
    return lines


def _minutes(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _method(errors: pd.DataFrame) -> list[str]:
    return ["## Method", "",
            ("*Raw* is the share of posts the classifier tags with a label, with a Wilson score 95% interval. "
            "*Corrected* undoes the classifier's measured errors with the Rogan–Gladen estimator, "
            "(raw + specificity − 1) / (sensitivity + specificity − 1), clipped to [0, 1], using the "
            f"sensitivity and specificity measured on the evaluation's test split ({int(errors['n'].max()) if len(errors) else 0} "
            "posts; see the error-rate table). Its 95% interval is a parametric bootstrap that draws the tagged "
            "share and both error rates, so the uncertainty of the error rates (large for rare labels) is included. "
            "**Assumption:** the error rates of the test split transfer to these posts; this is not checked and "
            "may not hold for other communities, years or substances. Values are percentages."), ""]


def _wide(rows: pd.DataFrame) -> list[str]:
    """One row per value, one column per label: raw → corrected [interval], small cells flagged."""
    out = []
    for value, cell in rows.groupby("value", sort=False):
        by_label = cell.set_index("label")
        row = [_esc(value), str(int(cell["posts"].iloc[0]))]
        for name in LABEL_NAMES:
            if name not in by_label.index:
                row.append("")
                continue
            r = by_label.loc[name]
            text = f"{_pct(r['raw'])} → {_pct(r['corrected'])} {_ci(r['corrected_low'], r['corrected_high'])}"
            row.append(_flag(text, bool(r["small"])) + (_CLIPPED if "clipped" in str(r["note"]) else ""))
        out.append(row)
    return _md_table(["value", "posts", *LABEL_NAMES], out)


def _markdown(table, subs, classes, gold, errors, meta, figures, *, min_posts: int, top: int) -> str:
    lines = ["# Prevalence of labels in tagged forum posts", "", *_meta_lines(meta), "", *_method(errors)]
    overall = table[table["dimension"] == "overall"]
    lines += ["## Overall", ""]
    rows = [[_esc(r.value), LABELS_BY_NAME[r.label].title if r.label in LABELS_BY_NAME else r.label, r.label,
             str(r.posts), str(r.positives), _flag(f"{_pct(r.raw)} {_ci(r.raw_low, r.raw_high)}", r.small),
             _flag(f"{_pct(r.corrected)} {_ci(r.corrected_low, r.corrected_high)}", r.small),
             _SMALL if r.small else "", _esc(r.note)] for r in overall.itertuples()]
    lines += _md_table(["cell", "label", "id", "posts", "tagged", "raw % [95% CI]", "corrected % [95% CI]", "small", "note"], rows)
    for dimension, heading in _SECTIONS:
        part = table[table["dimension"] == dimension]
        if len(part):
            lines += ["", f"## {heading}", "", "Each cell: raw % → corrected % [95% CI of corrected].", "", *_wide(part)]
    lines += ["", "Monthly estimates are in `prevalence.csv` only.", ""]
    lines += [f"## Co-occurrence with substances (top {top} by posts)", "",
              "Share (%) of the posts mentioning the substance that the classifier tags with each label (raw, uncorrected).", ""]
    lines += _share_table(subs.sort_values("posts", ascending=False, kind="stable").head(top), "substance")
    if len(classes):
        lines += ["", "By substance class:", "", *_share_table(classes.sort_values("posts", ascending=False, kind="stable"), "class")]
    if gold is not None and len(gold):
        lines += ["", "## Comparison with gold labels", "",
                  ("Analysed posts that also have gold labels. If these are the test split the error rates come from, "
                  "agreement is by construction and not a check."), ""]
        rows = [[str(label), str(int(r.posts)), _flag(f"{_pct(r.gold_prevalence)} {_ci(r.gold_low, r.gold_high)}", bool(r.small)),
                 _pct(r.raw), _flag(f"{_pct(r.corrected)} {_ci(r.corrected_low, r.corrected_high)}", bool(r.small)),
                 "n/a" if r.covers is None or pd.isna(r.covers) else ("yes" if r.covers else "no")]
                for label, r in gold.iterrows()]
        lines += _md_table(["label", "gold posts", "gold % [95% CI]", "raw %", "corrected % [95% CI]", "covers"], rows)
    lines += ["", "## Error rates (evaluation test split)", ""]
    rows = [[str(label), *(str(int(r[c])) for c in ("tp", "fp", "tn", "fn")),
             f"{_pct(r.sensitivity)} {_ci(r.sensitivity_low, r.sensitivity_high)}",
             f"{_pct(r.specificity)} {_ci(r.specificity_low, r.specificity_high)}"] for label, r in errors.iterrows()]
    lines += _md_table(["label", "tp", "fp", "tn", "fn", "sensitivity % [95% CI]", "specificity % [95% CI]"], rows)
    lines += ["", "## Figures", ""] + [f"![{p.stem.replace('_', ' ')}]({p.name})" for p in figures]
    lines += ["", "---", "", (f"{_SMALL} Small cell: fewer than {int(min_posts)} posts, or too few tagged posts (see the note "
              "column of `prevalence.csv`); the estimate is shown in parentheses for completeness and should not be read into."), ""]
    if table["note"].astype(str).str.contains("clipped").any():
        lines += [(f"{_CLIPPED} Corrected value clipped to 0 or 1: the tagged share is below the estimated false-positive "
                   "rate (or above the sensitivity). Either the true share is near that bound or the test split's error "
                   "rates do not fit this cell; only the interval's other end is informative."), ""]
    return "\n".join(lines)


def _share_table(frame: pd.DataFrame, key: str) -> list[str]:
    rows = [[_esc(idx) + (_SMALL if r["small"] else ""), str(int(r["posts"])),
             *(_flag(_pct(r[f"share_{name}"]), bool(r["small"])) for name in LABEL_NAMES)] for idx, r in frame.iterrows()]
    return _md_table([key, "posts", *LABEL_NAMES], rows)


# ---------------------------------------------------------------- figures

def _label_title(name: str) -> str:
    label = LABELS_BY_NAME.get(name)
    return f"{label.title} ({name})" if label else name


def _grid(title: str, panel_height: float = 4.0) -> tuple[Figure, list[Any]]:
    """One panel per label plus a spare cell for the key, on an Agg canvas (the style of models.plots)."""
    rows = math.ceil((len(LABEL_NAMES) + 1) / _COLUMNS)
    fig = Figure(figsize=(5.2 * _COLUMNS, panel_height * rows))
    FigureCanvasAgg(fig)
    axes = list(fig.subplots(rows, _COLUMNS, squeeze=False).ravel())
    fig.subplots_adjust(left=0.08, right=0.97, bottom=0.08, top=1 - 0.9 / (panel_height * rows), wspace=0.45, hspace=0.4)
    fig.suptitle(title, fontsize=14)
    return fig, axes


def _key(fig: Figure, axes: list[Any], key: list[Any]) -> Figure:
    for ax in axes[len(LABEL_NAMES):]:
        ax.axis("off")
    axes[len(LABEL_NAMES)].legend(handles=key, loc="center", fontsize=10, frameon=False, title="key")
    return fig


def _by_year_figure(table: pd.DataFrame) -> Figure:
    fig, axes = _grid("Prevalence by year: raw and corrected, 95% intervals")
    years = table[table["dimension"] == "year"]
    for ax, name in zip(axes, LABEL_NAMES):
        part = years[years["label"] == name]
        ax.set_title(_label_title(name), fontsize=11)
        if part.empty:
            ax.text(0.5, 0.5, "no yearly cells", ha="center", va="center", transform=ax.transAxes)
            continue
        x = pd.to_numeric(part["value"], errors="coerce").to_numpy()
        if np.isnan(x).any():
            x = np.arange(len(part))
        step = max(1, len(x) // 8)  # at most about 8 tick labels
        ax.set_xticks(x[::step], part["value"].iloc[::step], rotation=45 if len(x) > 8 else 0)
        small = part["small"].to_numpy(dtype=bool)
        for kind, color in (("raw", "C0"), ("corrected", "C3")):
            y = 100 * part[kind].to_numpy(dtype=float)
            ax.fill_between(x, 100 * part[f"{kind}_low"].to_numpy(dtype=float),
                            100 * part[f"{kind}_high"].to_numpy(dtype=float), color=color, alpha=0.15, lw=0)
            ax.plot(x, y, color=color, lw=1.6)
            ax.plot(x[~small], y[~small], "o", color=color, ms=5)
            ax.plot(x[small], y[small], "o", mfc="white", mec="grey", ms=6)
        ax.set_xlabel("year")
        ax.set_ylabel("prevalence (%)")
        ax.set_ylim(0, min(100, ax.get_ylim()[1]))
        ax.grid(alpha=0.3)
    key = [Line2D([], [], color="C0", marker="o", label="raw (share tagged)"),
           Line2D([], [], color="C3", marker="o", label="corrected (Rogan–Gladen)"),
           Patch(color="grey", alpha=0.25, label="95% interval"),
           Line2D([], [], marker="o", ls="", mfc="white", mec="grey", label=f"small cell {_SMALL} (do not read into)")]
    return _key(fig, axes, key)


def _by_class_figure(table: pd.DataFrame) -> Figure:
    part_all = table[table["dimension"] == "drug_class"]
    n_classes = part_all["value"].nunique()
    fig, axes = _grid("Corrected prevalence by substance class, 95% intervals", max(4.0, 0.35 * n_classes + 1.5))
    for ax, name in zip(axes, LABEL_NAMES):
        part = part_all[part_all["label"] == name]
        ax.set_title(_label_title(name), fontsize=11)
        if part.empty:
            ax.text(0.5, 0.5, "no class cells", ha="center", va="center", transform=ax.transAxes)
            continue
        y = np.arange(len(part))[::-1]
        mid = 100 * part["corrected"].to_numpy(dtype=float)
        low = 100 * part["corrected_low"].to_numpy(dtype=float)
        high = 100 * part["corrected_high"].to_numpy(dtype=float)
        small = part["small"].to_numpy(dtype=bool)
        err = np.vstack([np.nan_to_num(mid - low), np.nan_to_num(high - mid)])
        ax.barh(y, np.nan_to_num(mid), xerr=err, color=np.where(small, "lightgrey", "C3").tolist(),
                edgecolor=np.where(small, "grey", "C3").tolist(), capsize=3, ecolor="black")
        clipped = part["note"].astype(str).str.contains("clipped").to_numpy()
        for yi, m, s, c in zip(y, mid, small, clipped):
            if s:
                ax.barh(yi, 0 if np.isnan(m) else m, color="none", hatch="//", edgecolor="grey")
            if np.isnan(m) or c:
                ax.text(0 if np.isnan(m) else m, yi, " n/a" if np.isnan(m) else f" {_CLIPPED} clipped", va="bottom", fontsize=8)
        ax.set_yticks(y, [f"{v}{_SMALL}" if s else str(v) for v, s in zip(part["value"], small)], fontsize=8)
        ax.set_xlabel("corrected prevalence (%)")
        ax.set_xlim(0, 100)
        ax.grid(axis="x", alpha=0.3)
    key = [Patch(color="C3", label="corrected prevalence"), Line2D([], [], color="black", label="95% interval"),
           Patch(facecolor="lightgrey", edgecolor="grey", hatch="//", label=f"small cell {_SMALL} (do not read into)"),
           Line2D([], [], ls="", label=f"{_CLIPPED} clipped at 0 or 1 (see the report)")]
    return _key(fig, axes, key)


def _cooccurrence_figure(subs: pd.DataFrame, top: int, min_posts: int) -> Figure:
    top_rows = subs.sort_values("posts", ascending=False, kind="stable").head(top)
    fig = Figure(figsize=(9, max(3.5, 0.38 * len(top_rows) + 2.2)))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.25, right=0.92, bottom=1.4 / height, top=1 - 0.6 / height)
    ax.set_title(f"Share of posts mentioning a substance tagged with each label (top {len(top_rows)} by posts)", fontsize=11)
    if top_rows.empty:
        ax.text(0.5, 0.5, "no substances", ha="center", va="center", transform=ax.transAxes)
        ax.axis("off")
        return fig
    shares = top_rows[[f"share_{n}" for n in LABEL_NAMES]].to_numpy(dtype=float)
    small = top_rows["small"].to_numpy(dtype=bool)
    shown = np.where(small[:, None], np.nan, shares * 100)  # small rows get no colour and do not set the scale
    top_value = np.nanmax(shown) if np.isfinite(shown).any() else 1.0
    image = ax.imshow(shown, cmap=colormaps["Blues"].with_extremes(bad="whitesmoke"), vmin=0,
                      vmax=max(1.0, top_value), aspect="auto")
    for i, j in np.ndindex(shares.shape):
        value = shares[i, j]
        dark = not small[i] and not np.isnan(value) and value * 100 > 0.6 * image.norm.vmax
        ax.text(j, i, "n/a" if np.isnan(value) else f"{100 * value:.0f}%", ha="center", va="center", fontsize=8,
                color="dimgrey" if small[i] else ("white" if dark else "black"))
        if small[i]:
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="none", edgecolor="lightgrey", hatch="//", lw=0))
    ax.set_xticks(range(len(LABEL_NAMES)), LABEL_NAMES, rotation=30, ha="right")
    ax.set_yticks(range(len(top_rows)), [f"{s} ({int(p)}){_SMALL if m else ''}" for s, p, m in
                                         zip(top_rows.index, top_rows["posts"], small)], fontsize=8)
    ax.set_xlabel("label")
    ax.set_ylabel("substance (posts)")
    fig.colorbar(image, ax=ax, label="share tagged (%)")
    if small.any():
        fig.text(0.01, 0.01, f"{_SMALL} greyed: fewer than {min_posts} posts (do not read into)", fontsize=8)
    return fig
