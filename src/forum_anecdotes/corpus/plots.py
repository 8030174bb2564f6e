"""Figures of a build, written as PNG next to the data: what the corpus is made of."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from forum_anecdotes.schema import SPLITS  # noqa: E402


def plot_composition(report: dict, path: Path) -> Path:
    """Three panels: posts by source and split, why posts were selected, drug classes by source.

    Args:
        report: a build report.
        path: the PNG file to write.

    Returns:
        The path written.
    """
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2))
    splits = pd.DataFrame({source: {s: v[s]["posts"] for s in SPLITS} for source, v in report["splits"].items()}).T
    splits.plot.barh(stacked=True, ax=axes[0], color=["#4c72b0", "#dd8452", "#55a868"])
    axes[0].set_title("Posts by source and split")
    axes[0].set_xlabel("posts")
    selection = pd.DataFrame(report["selection"]).T.drop(columns=["not_selected"], errors="ignore")
    selection.plot.barh(stacked=True, ax=axes[1], color=["#8172b3", "#937860", "#8c8c8c"])
    axes[1].set_title("Why posts are in the corpus")
    axes[1].set_xlabel("posts")
    classes = pd.DataFrame(report.get("drug_classes", {})).fillna(0)
    if not classes.empty:
        classes = classes.loc[classes.sum(axis=1).sort_values().index[-12:]]
        classes.plot.barh(stacked=True, ax=axes[2])
    axes[2].set_title("Posts mentioning each drug class (top 12)")
    axes[2].set_xlabel("posts")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
