"""Summary tables of a corpus and of a build: posts and threads by source and split, placeholders by type."""
from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from forum_anecdotes.schema import SPLITS

#: Column of threads with three or more posts linked by reply (see :func:`linked_thread_counts`).
THREADS_LINKED = "threads_3plus_linked"
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
    columns = ["source", "thread_id", "post_id", "parent_id"]
    data = pd.concat(
        [dataset_dict[s].select_columns(columns).to_pandas().assign(split=s) for s in SPLITS],
        ignore_index=True,
    )
    grouped = data.groupby(["source", "split"])["thread_id"]
    table = pd.concat({"posts": grouped.size().unstack(), "threads": grouped.nunique().unstack()}, axis=1)
    table.columns = [f"{kind}_{split_name}" for kind, split_name in table.columns]
    table = _with_totals(table)
    linked = linked_thread_counts(data)
    table[THREADS_LINKED] = linked.reindex(table.index, fill_value=0)
    table.loc["total", THREADS_LINKED] = int(linked.sum())
    return table


def linked_thread_counts(posts: pd.DataFrame, *, min_posts: int = 3) -> pd.Series:
    """Threads with at least ``min_posts`` posts linked by reply, by source.

    A thread counts when it has at least ``min_posts - 1`` replies whose parent is in the corpus:
    its posts then form a conversation, not a pile of unrelated posts.

    Args:
        posts: one row per post with columns ``source``, ``thread_id``, ``post_id`` and ``parent_id``
            (null for no parent); ids may be strings or integer keys.
        min_posts: the smallest conversation counted.

    Returns:
        Counts indexed by source (every source of ``posts``, zeros included).
    """
    linked = posts["parent_id"].notna() & posts["parent_id"].isin(set(posts["post_id"]))
    replies = posts.assign(linked=linked).groupby(["source", "thread_id"])["linked"].sum()
    counts = (replies >= min_posts - 1).groupby(level="source").sum()
    return counts.reindex(sorted(posts["source"].unique()), fill_value=0).astype(int)


def report_split_table(report: dict) -> pd.DataFrame:
    """The same table as :func:`corpus_summary`, from a build report."""
    rows = {
        source: {f"{kind}_{s}": splits[s][kind] for kind in ("posts", "threads") for s in SPLITS}
        for source, splits in report["splits"].items()
    }
    table = _with_totals(pd.DataFrame.from_dict(rows, orient="index"))
    linked = pd.Series(report.get(THREADS_LINKED, {}), dtype=int)
    table[THREADS_LINKED] = linked.reindex(table.index, fill_value=0)
    table.loc["total", THREADS_LINKED] = int(linked.sum())
    return table


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
