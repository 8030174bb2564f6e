"""Summary tables of a corpus and of a build: posts and threads by source and split, placeholders by type."""
from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from forum_anecdotes.schema import SPLITS


#: Columns of the posts-and-threads table, before the two totals.
SPLIT_COLUMNS: list[str] = [f"posts_{s}" for s in SPLITS] + [f"threads_{s}" for s in SPLITS]


def corpus_summary(dataset_dict) -> pd.DataFrame:
    """Posts and threads by source and split of a loaded corpus.

    Args:
        dataset_dict: the ``DatasetDict`` from :func:`forum_anecdotes.corpus.load.load_corpus`.

    Returns:
        A DataFrame indexed by source (plus a "total" row) with ``posts_<split>``,
        ``threads_<split>`` and total columns.
    """
    data = pd.concat(
        [dataset_dict[s].select_columns(["source", "thread_id"]).to_pandas().assign(split=s) for s in SPLITS],
        ignore_index=True,
    )
    grouped = data.groupby(["source", "split"])["thread_id"]
    table = pd.concat({"posts": grouped.size().unstack(), "threads": grouped.nunique().unstack()}, axis=1)
    table.columns = [f"{kind}_{split_name}" for kind, split_name in table.columns]
    return _with_totals(table)


def report_split_table(report: dict) -> pd.DataFrame:
    """The same table as :func:`corpus_summary`, from a build report."""
    rows = {
        source: {f"{kind}_{s}": splits[s][kind] for kind in ("posts", "threads") for s in SPLITS}
        for source, splits in report["splits"].items()
    }
    return _with_totals(pd.DataFrame.from_dict(rows, orient="index"))


def _with_totals(table: pd.DataFrame) -> pd.DataFrame:
    """Columns in order, posts and threads summed over splits, and a total row."""
    table = table.reindex(columns=SPLIT_COLUMNS).fillna(0)
    table["posts"] = table[[f"posts_{s}" for s in SPLITS]].sum(axis=1)
    table["threads"] = table[[f"threads_{s}" for s in SPLITS]].sum(axis=1)
    table.loc["total"] = table.sum()
    return table.astype(int)


def placeholder_table(report: dict) -> pd.DataFrame:
    """Replacements by placeholder type (columns) and source (rows) in the published posts, from a build report."""
    table = pd.DataFrame.from_dict(report["placeholders"], orient="index").fillna(0).astype(int)
    if table.empty:
        return table
    table = table.reindex(sorted(table.columns), axis=1)
    table.loc["total"] = table.sum()
    return table


def print_table(title: str, frame: pd.DataFrame, console: Console | None = None) -> None:
    """Print a DataFrame as a rich table."""
    console = console or Console(width=160)
    table = Table(title=title)
    table.add_column(frame.index.name or "")
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for index, row in frame.iterrows():
        table.add_row(str(index), *(f"{v:,}" if isinstance(v, int) else str(v) for v in row.tolist()))
    console.print(table)


def print_build_summary(report: dict, console: Console | None = None) -> None:
    """The build's closing summary: posts and threads by source and split; placeholders by type; rejects."""
    console = console or Console(width=160)
    print_table("Posts and threads by source and split", report_split_table(report), console)
    print_table("Placeholders by type and source", placeholder_table(report), console)
    rejected = {s: sum(v["rejected"].values()) for s, v in report["sources"].items()}
    console.print("Rejected input lines: " + ", ".join(f"{s} {n:,}" for s, n in rejected.items()))
    dedup = report["deduplication"]
    if dedup["repeated_ids"]:
        console.print(f"[bold yellow]Repeated post ids (the same post read twice, kept once): {dedup['repeated_ids']:,}[/]")
    console.print(f"Duplicates removed: {dedup['exact_duplicates_removed']:,} exact, {dedup['near_duplicates_removed']:,} near "
                  f"({dedup['duplicates_kept_because_replied_to']:,} kept because replies depend on them)")
