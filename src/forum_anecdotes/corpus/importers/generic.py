"""Importers for any JSONL or CSV file with a column mapping.

A source in the catalogue names its columns in ``options["columns"]``, mapping fields of
:class:`~forum_anecdotes.schema.RawPost` to input columns::

    options:
      columns: {id: post_id, text: body, thread_id: topic, parent_id: reply_to,
                author: user, created: posted_at, title: subject, community: board}
      community: my-forum        # used when no community column is mapped (default: the source name)

``id`` and ``text`` are required; without ``thread_id`` every post is its own one-post thread.
An empty optional value (CSV has no null) means the value is absent: an empty ``parent_id`` is a
thread's first post, an empty ``thread_id`` a one-post thread.

The helpers shared with the other format importers live in :mod:`.base`.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from forum_anecdotes.corpus.importers.base import (
    CSV_SUFFIXES,
    JSONL_SUFFIXES,
    FieldReader,
    default_community,
    input_files,
    json_line_posts,
    posts_from_records,
)
from forum_anecdotes.io import BadInput, Rejects, iter_csv_rows
from forum_anecdotes.schema import Origin, RawPost

#: The RawPost fields a column mapping may name, and those it must name.
MAPPABLE_FIELDS: tuple[str, ...] = (
    "id", "text", "thread_id", "parent_id", "author", "created", "title", "community",
)
REQUIRED_FIELDS: tuple[str, ...] = ("id", "text")

def column_mapping(source: str, options: Mapping[str, Any] | None) -> dict[str, str]:
    """Check and return ``options["columns"]``.

    Args:
        source: the source name, for the error message.
        options: the source's importer options.

    Returns:
        The mapping from RawPost field (see :data:`MAPPABLE_FIELDS`) to input column.

    Raises:
        ValueError: naming the source, when the mapping is missing, lacks ``id`` or ``text``, names
            an unknown field or maps a field to something other than a column name.
    """
    columns = (options or {}).get("columns")
    if not isinstance(columns, Mapping):
        raise ValueError(
            f"source {source!r}: options.columns must map {' and '.join(REQUIRED_FIELDS)} to input columns"
        )
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        raise ValueError(f"source {source!r}: options.columns lacks {', '.join(missing)}")
    unknown = sorted(set(columns) - set(MAPPABLE_FIELDS))
    if unknown:
        raise ValueError(f"source {source!r}: options.columns has unknown field(s) {', '.join(unknown)}; "
                         f"known: {', '.join(MAPPABLE_FIELDS)}")
    not_names = sorted(f for f, c in columns.items() if not isinstance(c, str) or not c)
    if not_names:
        raise ValueError(f"source {source!r}: options.columns must give a column name for {', '.join(not_names)}")
    return dict(columns)


def raw_post_from_record(
    record: Mapping[str, Any],
    columns: Mapping[str, str],
    *,
    source: str,
    community: str,
    origin: Origin,
    order: int,
) -> RawPost:
    """Map one JSONL object or CSV row to a RawPost through a column mapping.

    Args:
        record: the input record.
        columns: a mapping checked by :func:`column_mapping`.
        source: the source name.
        community: the community when no community column is mapped or its value is empty.
        origin: file and line of the record.
        order: the record's position in the import.

    Returns:
        The post.

    Raises:
        BadInput: naming every missing or malformed field (by input column name).
    """
    fields = FieldReader(record)

    def optional(field: str, read) -> Any:
        # an empty value means "absent" (CSV cannot say null); JSON null reads the same
        if field not in columns or record.get(columns[field]) == "":
            return None
        return read(columns[field], required=False)

    native_id = fields.identifier(columns["id"])
    text = fields.string(columns["text"])
    thread_id = optional("thread_id", fields.identifier)
    parent_id = optional("parent_id", fields.identifier)
    author = optional("author", fields.identifier)
    created = optional("created", fields.timestamp)
    title = optional("title", fields.string)
    community_value = optional("community", fields.string)
    fields.raise_if_bad(origin)
    return RawPost(
        source=source,
        native_id=native_id,
        thread_native_id=thread_id or native_id,  # no thread column: a one-post thread
        parent_native_id=parent_id,
        author=author,
        created=created,
        title=title,
        text=text,
        community=community_value or community,
        origin=origin,
        order=order,
    )


# --------------------------------------------------------------------------- JSONL


def import_jsonl(
    path: str | Path, *, source: str, rejects: Rejects, options: Mapping[str, Any] | None = None
) -> Iterator[RawPost]:
    """Read posts from JSON-lines files (plain or ``.zst``) through a column mapping.

    Args:
        path: a file, or a folder of ``*.jsonl``, ``*.ndjson``, ``*.json`` and ``*.zst`` files (name order).
        source: the source name.
        rejects: where bad lines go (malformed JSON, not UTF-8, missing or malformed fields).
        options: ``columns`` (required, see the module docstring) and ``community``.

    Returns:
        An iterator of posts in file and line order.

    Raises:
        ValueError: at the call, for a bad column mapping.
        FileNotFoundError: at the call, when there is nothing to read at ``path``.
    """
    columns = column_mapping(source, options)
    files = input_files(path, JSONL_SUFFIXES, source=source)
    make_post = functools.partial(
        raw_post_from_record, columns=columns, source=source, community=default_community(source, options)
    )
    return json_line_posts(files, make_post, source=source, rejects=rejects)


# --------------------------------------------------------------------------- CSV


def import_csv(
    path: str | Path, *, source: str, rejects: Rejects, options: Mapping[str, Any] | None = None
) -> Iterator[RawPost]:
    """Read posts from UTF-8 CSV files with a header, through a column mapping.

    Args:
        path: a file, or a folder of ``*.csv`` files (name order).
        source: the source name.
        rejects: where bad records go. A header without a mapped column is a bad file (line 1):
            by default it stops the import, with ``skip_bad`` the file is skipped and recorded.
        options: ``columns`` (required, see the module docstring) and ``community``.

    Returns:
        An iterator of posts in file and record order; each post's line is where its record starts.

    Raises:
        ValueError: at the call, for a bad column mapping.
        FileNotFoundError: at the call, when there is nothing to read at ``path``.
    """
    columns = column_mapping(source, options)
    files = input_files(path, CSV_SUFFIXES, source=source)
    read_rows = functools.partial(_mapped_csv_rows, columns=columns, rejects=rejects, source=source)
    make_post = functools.partial(
        raw_post_from_record, columns=columns, source=source, community=default_community(source, options)
    )
    return posts_from_records(files, read_rows, make_post, source=source, rejects=rejects)


def _mapped_csv_rows(
    file: Path, columns: Mapping[str, str], *, rejects: Rejects, source: str
) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of one CSV file whose header has every mapped column (else the file goes to ``rejects``)."""
    optional = [c for f, c in columns.items() if f not in REQUIRED_FIELDS]
    rows = iter_csv_rows(file, required=[columns[f] for f in REQUIRED_FIELDS], rejects=rejects, source=source)
    header_checked = False
    for line_no, row in rows:
        if not header_checked:
            # iter_csv_rows checks the header for the required columns only; a mapped optional
            # column that it lacks would read as empty in every row, silently. Every row has the
            # header's keys, so the first row tells.
            absent = [c for c in optional if c not in row]
            if absent:
                rejects.handle(BadInput(file, 1, f"missing column(s): {', '.join(absent)}"), source=source)
                return
            header_checked = True
        yield line_no, row
