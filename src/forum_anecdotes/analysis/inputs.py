"""What the analysis reads, and the one function that turns an input post into a prepared row.

An analysis input is any file the tag script reads (JSONL, CSV, plain text; ``.gz`` and ``.zst``
as streams), a folder of such files, or a raw source read by one of the corpus's importers
(``--importer opiates_submissions``), which knows that source's quirks (repeated rows, bytes-exported
fields) as the build does. Every post then goes through the corpus's per-post pipeline
(:func:`~forum_anecdotes.models.tag.prepare_record`: checks, site furniture, anonymisation,
substances) in :func:`prepared_rows`, which both engines call: the local engine in its loop, the Ray
engine in its read tasks. A prepared row holds only what the model and the tallies need, with
the anonymised text; the text never reaches a written file.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forum_anecdotes.corpus.importers.base import parse_timestamp
from forum_anecdotes.corpus.process import FurniturePost, PostPipeline
from forum_anecdotes.io import BadInput, Rejects
from forum_anecdotes.models.tag import SOURCE, prepare_record, read_posts
from forum_anecdotes.schema import Origin

#: File names an input folder is searched for (compressed copies included).
INPUT_SUFFIXES = (".jsonl", ".json", ".ndjson", ".csv", ".txt")
#: The fields of a prepared row, in order (see :func:`prepared_rows`).
PREPARED_FIELDS = ("id", "text", "month", "group", "drugs", "drug_classes")
#: A month as the corpus publishes dates (coarsened): ``YYYY-MM``.
_MONTH = re.compile(r"(19|20)\d\d-(0[1-9]|1[0-2])")


@dataclasses.dataclass(frozen=True)
class InputOptions:
    """How to read the posts of an analysis.

    Args:
        text_column: the field or column holding the text (JSONL, CSV).
        id_column: the field or column holding the post's id.
        time_column: the field holding the date: ISO 8601 (``2015-03-02``, ``2015-03-02T10:00:00Z``)
            or Unix seconds; None: no dates.
        group_column: the field naming the post's community or source; None: every post of a file
            is in the group ``group``.
        group: the group of posts without a group field (default: the file's name, without suffixes).
        importer: read each input with this corpus importer (a raw source's own format) instead.
    """

    text_column: str = "text"
    id_column: str = "id"
    time_column: str | None = "created"
    group_column: str | None = None
    group: str | None = None
    importer: str | None = None


def input_files(path: str | os.PathLike, *, importer: str | None = None) -> list[Path]:
    """The files of an input: the file itself, or a folder's readable files in name order.

    Args:
        path: a file, or a folder (searched recursively for :data:`INPUT_SUFFIXES`, ``.gz``/``.zst`` too).
        importer: with an importer, the path is handed to it whole (it knows its layout).

    Returns:
        The files (or, with an importer, ``[path]``).

    Raises:
        FileNotFoundError: for a path that does not exist, or a folder with no readable file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if importer is not None or path.is_file():
        return [path]
    found = sorted(p for p in path.rglob("*") if p.is_file() and _readable_name(p.name))
    if not found:
        raise FileNotFoundError(f"{path}: no file ending in {', '.join(INPUT_SUFFIXES)} (or .gz/.zst) in this folder")
    return found


def _readable_name(name: str) -> bool:
    for compressed in (".gz", ".zst"):
        name = name.removesuffix(compressed)
    return name.lower().endswith(INPUT_SUFFIXES) and not name.endswith(".rejects.jsonl")


def default_group(file: Path) -> str:
    """A file's group when no field names one: its name without suffixes (``submissions.csv.gz``: ``submissions``)."""
    return file.name.split(".", 1)[0] or file.name


def month_of(value: Any) -> str | None:
    """The ``YYYY-MM`` month of a date field, or None when there is none or it cannot be read.

    Args:
        value: a datetime, ISO 8601 text, a month as the corpus publishes it (``2015-03``), or
            Unix seconds (a number, or text of one).

    Returns:
        The month in UTC, e.g. ``"2015-03"``.
    """
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is None else value.astimezone(dt.UTC)
        return f"{moment.year:04d}-{moment.month:02d}"
    if isinstance(value, str) and _MONTH.fullmatch(value.strip()):  # the corpus's own coarsened dates
        return value.strip()
    try:
        moment = parse_timestamp(value)  # the importers' one reading of dates
    except (ValueError, TypeError):
        return None
    if moment is None:
        return None
    moment = moment.astimezone(dt.UTC)  # parse_timestamp keeps an ISO date's own offset
    return f"{moment.year:04d}-{moment.month:02d}"


def iter_input(file: Path, *, options: InputOptions, rejects: Rejects) -> Iterator[tuple[Origin, dict[str, Any]]]:
    """Stream one input's posts as ``(origin, record)`` with the fields ``id``, ``title``, ``text``,
    ``author``, ``created`` and ``group``.

    Args:
        file: an input file (or an importer's path).
        options: how to read it.
        rejects: where unreadable lines go (raised, or recorded with ``--skip-bad``).

    Yields:
        The posts, in file order.
    """
    if options.importer is not None:
        from forum_anecdotes.corpus.importers import get_importer

        import_posts = get_importer(options.importer)
        # the importer counts the rows it passes over (repeats) in ``rejects`` itself
        for raw in import_posts(file, source=options.importer, rejects=rejects, options={}):
            yield raw.origin, {"id": raw.native_id, "title": raw.title, "text": raw.text, "author": raw.author,
                               "created": raw.created, "group": raw.community or options.group or options.importer}
        return
    group = options.group or default_group(file)
    for origin, record in read_posts(file, text_column=options.text_column, id_column=options.id_column,
                                     rejects=rejects):
        row_group = record.get(options.group_column) if options.group_column else None
        yield origin, {"id": record.get(options.id_column), "title": record.get("title"),
                       "text": record.get(options.text_column), "author": record.get("author"),
                       "created": record.get(options.time_column) if options.time_column else None,
                       "group": str(row_group) if row_group not in (None, "") else group}


def prepared_rows(posts: Iterator[tuple[Origin, dict[str, Any]]], *, pipeline: PostPipeline,
                  rejects: Rejects) -> Iterator[dict[str, Any]]:
    """Run posts through the per-post pipeline and keep what the model and the tallies need.

    Args:
        posts: ``(origin, record)`` pairs from :func:`iter_input`.
        pipeline: the corpus's per-post pipeline.
        rejects: bad posts (raised, or recorded); site furniture is counted as skipped.

    Yields:
        Rows with :data:`PREPARED_FIELDS`: ``id`` (text), ``text`` (the anonymised title and text,
        as the model reads them), ``month`` (``YYYY-MM`` or None), ``group``, ``drugs`` and
        ``drug_classes`` (from the substance lexicon, on the anonymised text).
    """
    for origin, record in posts:
        try:
            prepared = prepare_record(pipeline, record, origin=origin)
        except BadInput as e:
            rejects.handle(e, source=SOURCE)
            continue
        except FurniturePost as e:
            rejects.skip(f"site furniture ({e.rule_id})", source=SOURCE)
            continue
        yield {"id": str(record["id"]), "text": prepared.text, "month": month_of(record.get("created")),
               "group": record["group"], "drugs": prepared.drugs, "drug_classes": prepared.drug_classes}


def chunked(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Consecutive lists of at most ``size`` rows (the unit of memory of both engines)."""
    rows = iter(rows)
    while chunk := list(itertools.islice(rows, size)):
        yield chunk
