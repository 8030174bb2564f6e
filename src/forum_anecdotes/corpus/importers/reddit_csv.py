"""Importers for the two Reddit CSV files: the RMHD subset and the r/opiates file.

Neither file has post or thread ids, so each row is a one-post thread and its id is derived from
what identifies it: RMHD from its subreddit, date and text; r/opiates from the ``index`` column.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from forum_anecdotes.corpus.importers.base import parse_timestamp
from forum_anecdotes.io import BadInput, Rejects, iter_csv_rows
from forum_anecdotes.schema import Origin, RawPost

# The r/opiates export ends most texts with a stray pair of quotes left by its CSV writer.
OPIATES_TRAILING_QUOTES = re.compile(r'\s*(""\s*)+$')


def import_rmhd(path: Path, *, source: str, rejects: Rejects, options: Mapping | None = None) -> Iterator[RawPost]:
    """Import the Reddit Mental Health Dataset CSV (columns subreddit, author, date, post).

    Args:
        path: the CSV file.
        source: the source name for the records.
        rejects: where bad rows go.
        options: unused.

    Returns:
        An iterator of RawPost in file order; title is None because the file joins title and body.
    """
    for line, row in iter_csv_rows(path, required=("subreddit", "author", "date", "post"), rejects=rejects, source=source):
        try:
            created = parse_timestamp(row["date"])
        except ValueError:
            rejects.handle(BadInput(path, line, "unreadable date"), source=source)
            continue
        native_id = _content_id(row["subreddit"], row["date"], row["post"])
        yield RawPost(
            source=source, native_id=native_id, thread_native_id=native_id, parent_native_id=None,
            author=row["author"] or None, created=created, title=None, text=row["post"],
            community=f"r/{row['subreddit']}", origin=Origin(str(path), line), order=line,
        )


def import_opiates(path: Path, *, source: str, rejects: Rejects, options: Mapping | None = None) -> Iterator[RawPost]:
    """Import the r/opiates CSV (columns index, tweet, label).

    The undocumented ``label`` column is not carried: its meaning is unknown.

    Args:
        path: the CSV file.
        source: the source name for the records.
        rejects: where bad rows go.
        options: unused.

    The file concatenates several exports, each numbering its rows from 1: the ``index`` column
    restarts, so a row's id is its segment (counted from 0, a new one wherever the index drops)
    and its index, e.g. ``2-417``.

    Returns:
        An iterator of RawPost in file order, with the export's trailing quote artefact removed.
    """
    segment, previous = 0, -1
    for line, row in iter_csv_rows(path, required=("index", "tweet"), rejects=rejects, source=source):
        try:
            index = int(row["index"])
        except ValueError:
            rejects.handle(BadInput(path, line, "index is not a whole number"), source=source)
            continue
        if index <= previous:
            segment += 1
        previous = index
        native_id = f"{segment}-{index}"
        yield RawPost(
            source=source, native_id=native_id, thread_native_id=native_id, parent_native_id=None,
            author=None, created=None, title=None, text=OPIATES_TRAILING_QUOTES.sub("", row["tweet"]),
            community="r/opiates", origin=Origin(str(path), line), order=line,
        )


def _content_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
