"""Importers for any JSONL or CSV file with a column mapping, and the helpers every format importer shares.

A source in the catalogue names its columns in ``options["columns"]``, mapping fields of
:class:`~forum_anecdotes.schema.RawPost` to input columns::

    options:
      columns: {id: post_id, text: body, thread_id: topic, parent_id: reply_to,
                author: user, created: posted_at, title: subject, community: board}
      community: my-forum        # used when no community column is mapped (default: the source name)

``id`` and ``text`` are required; without ``thread_id`` every post is its own one-post thread.
An empty optional value (CSV has no null) means the value is absent: an empty ``parent_id`` is a
thread's first post, an empty ``thread_id`` a one-post thread.

The helpers of the first section (:func:`input_files`, :class:`FieldReader`,
:func:`posts_from_records`, ...) serve the Pushshift and Discourse importers too, so that every
format finds its files, orders its posts and words its rejects the same way.
"""
from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from forum_anecdotes.corpus.importers.base import parse_timestamp
from forum_anecdotes.corpus.io import (
    MAX_POST_BYTES,
    BadInput,
    Rejects,
    iter_csv_rows,
    iter_json_lines,
)
from forum_anecdotes.schema import Origin, RawPost

#: The RawPost fields a column mapping may name, and those it must name.
MAPPABLE_FIELDS: tuple[str, ...] = (
    "id", "text", "thread_id", "parent_id", "author", "created", "title", "community",
)
REQUIRED_FIELDS: tuple[str, ...] = ("id", "text")

JSONL_SUFFIXES: tuple[str, ...] = (".jsonl", ".ndjson", ".json", ".zst")
CSV_SUFFIXES: tuple[str, ...] = (".csv",)

# A lone UTF-16 surrogate can come out of a JSON "\ud83d" escape (half an emoji); it cannot be
# written as UTF-8, so it would crash the build's writer.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


# --------------------------------------------------------------------------- shared helpers


def input_files(path: str | Path, suffixes: Iterable[str], *, source: str) -> list[Path]:
    """The files an importer reads: ``path`` itself, or the files of the folder ``path`` in name order.

    Args:
        path: a file, or a folder whose files ending in one of ``suffixes`` are read (not recursively).
        suffixes: file name endings to read from a folder, e.g. ``(".json",)``.
        source: the source name, for the error message.

    Returns:
        The files, sorted by name so that the import order is stable.

    Raises:
        FileNotFoundError: when ``path`` does not exist or the folder holds no such file (a
            catalogue error, not bad input: nothing could be read at all).
    """
    path = Path(path)
    suffixes = tuple(suffixes)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"source {source!r}: {path} does not exist")
    files = sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(suffixes))
    if not files:
        raise FileNotFoundError(f"source {source!r}: no {', '.join('*' + s for s in suffixes)} file in {path}")
    return files


class FieldReader:
    """Reads the typed fields of one input record and collects what is wrong with it.

    Each getter returns the value (or None) and notes a problem under the *input* field name, so
    that one :meth:`raise_if_bad` names every missing or malformed field of the record at once,
    and never its content.

    Args:
        record: one parsed input record (a JSON object or a CSV row).
    """

    def __init__(self, record: Mapping[str, Any]):
        self.record = record
        self._missing: list[str] = []
        self._malformed: list[str] = []
        self._too_long: list[str] = []

    def _absent(self, key: str, required: bool) -> None:
        if required:
            self._missing.append(key)

    def identifier(self, key: str, *, required: bool = True, prefixes: tuple[str, ...] = ()) -> str | None:
        """An id or handle: a non-empty string or an integer, returned as a string.

        Args:
            key: the input field.
            required: whether a missing or empty value is a problem (else it reads as None).
            prefixes: when given, the value must start with one of them (e.g. Reddit's ``t3_``).
        """
        value = self.record.get(key)
        if value is None or value == "":
            self._absent(key, required)
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self._malformed.append(key)
            return None
        value = str(value)
        if prefixes and not value.startswith(prefixes):
            self._malformed.append(key)
            return None
        return value

    def integer(self, key: str, *, required: bool = True) -> int | None:
        """An integer field (e.g. a post number); None when absent."""
        value = self.record.get(key)
        if value is None:
            self._absent(key, required)
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self._malformed.append(key)
            return None
        return value

    def string(self, key: str, *, required: bool = True, default: str | None = None) -> str | None:
        """A text field, kept as is (an empty string stays empty); ``default`` when absent or null.

        Strings longer than :data:`~forum_anecdotes.corpus.io.MAX_POST_BYTES` are a problem (almost
        always a parsing accident). Lone surrogates from JSON escapes become U+FFFD.
        """
        value = self.record.get(key)
        if value is None:
            self._absent(key, required)
            return default
        if not isinstance(value, str):
            self._malformed.append(key)
            return default
        if value.isascii():
            size = len(value)
        else:
            try:
                size = len(value.encode("utf-8"))
            except UnicodeEncodeError:
                value = _LONE_SURROGATE.sub("\ufffd", value)
                size = len(value.encode("utf-8"))
        if size > MAX_POST_BYTES:
            self._too_long.append(key)
        return value

    def timestamp(self, key: str, *, required: bool = True) -> dt.datetime | None:
        """A date read with :func:`~forum_anecdotes.corpus.importers.base.parse_timestamp` (UTC)."""
        value = self.record.get(key)
        if value is None or value == "":
            self._absent(key, required)
            return None
        if isinstance(value, bool):
            self._malformed.append(key)
            return None
        try:
            return parse_timestamp(value)
        # parse_timestamp documents ValueError, but datetime.fromtimestamp raises OverflowError or
        # OSError for a number far out of range
        except (ValueError, TypeError, OverflowError, OSError):
            self._malformed.append(key)
            return None

    def raise_if_bad(self, origin: Origin, *, where: str = "") -> None:
        """Raise one :class:`BadInput` naming every problem noted so far, if any.

        Args:
            origin: the file and line of the record.
            where: appended to the reason in brackets, e.g. ``"post #3"`` for a record without a line.
        """
        problems = []
        if self._missing:
            problems.append(f"missing field(s): {', '.join(self._missing)}")
        if self._malformed:
            problems.append(f"wrong type or format: {', '.join(self._malformed)}")
        if self._too_long:
            problems.append(f"too long (over {MAX_POST_BYTES} bytes): {', '.join(self._too_long)}")
        if problems:
            reason = "; ".join(problems) + (f" ({where})" if where else "")
            raise BadInput(origin.file, origin.line, reason)


def default_community(source: str, options: Mapping[str, Any] | None) -> str:
    """The community of posts whose record names none: ``options["community"]``, else the source name."""
    return str((options or {}).get("community") or source)


def posts_from_records(
    files: Iterable[Path],
    read_records: Callable[[Path], Iterable[tuple[int, Mapping[str, Any]]]],
    make_post: Callable[..., RawPost],
    *,
    source: str,
    rejects: Rejects,
) -> Iterator[RawPost]:
    """Posts from line-oriented files (NDJSON, CSV), one per good record, in file and record order.

    Args:
        files: the files, in the order to read them.
        read_records: yields ``(line_number, record)`` for one file, passing unreadable records to
            ``rejects`` itself.
        make_post: ``make_post(record, origin=..., order=...)`` turns one record into a post or
            raises :class:`BadInput`.
        source: the source name.
        rejects: where records that ``make_post`` refuses go.

    Returns:
        An iterator of posts; ``order`` is a running count of the records read.
    """
    order = itertools.count()
    for file in files:
        for line_no, record in read_records(file):
            try:
                post = make_post(record, origin=Origin(file=str(file), line=line_no), order=next(order))
            except BadInput as e:
                rejects.handle(e, source=source)
                continue
            yield post


def json_line_posts(
    files: Iterable[Path], make_post: Callable[..., RawPost], *, source: str, rejects: Rejects
) -> Iterator[RawPost]:
    """:func:`posts_from_records` for NDJSON files, plain or ``.zst`` (read with ``iter_json_lines``)."""
    read_records = functools.partial(iter_json_lines, rejects=rejects, source=source)
    return posts_from_records(files, read_records, make_post, source=source, rejects=rejects)


# --------------------------------------------------------------------------- column mapping


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
