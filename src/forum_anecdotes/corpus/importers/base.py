"""The interface every source importer implements, and the helpers the format importers share.

An importer is a function::

    def import_<format>(path: Path, *, source: str, rejects: Rejects, options: Mapping) -> Iterator[RawPost]

It reads the raw files at ``path`` (a file or a folder, as the format needs), yields one
:class:`~forum_anecdotes.schema.RawPost` per post in a stable order, and passes every bad record to
``rejects`` (which raises or records it). It does no anonymisation, filtering or deduplication:
the build does that for all sources alike. ``options`` carries format settings from the source's
catalogue entry (e.g. a column mapping); importers that need none ignore it.

Importers stream: they hold at most one thread in memory, so inputs of any size can be read.
The helpers below (:func:`input_files`, :class:`FieldReader`, :func:`posts_from_records`, ...) let
every format find its files, order its posts and word its rejects the same way.
"""
from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from forum_anecdotes.io import MAX_POST_BYTES, BadInput, Rejects, iter_json_lines
from forum_anecdotes.schema import Origin, RawPost


class Importer(Protocol):
    def __call__(
        self, path: Path, *, source: str, rejects: Rejects, options: Mapping | None = None
    ) -> Iterator[RawPost]: ...


def parse_timestamp(value) -> dt.datetime | None:
    """Parse a Unix timestamp (int, float or digit string) or an ISO-8601 / ``YYYY/MM/DD`` date to UTC.

    Returns:
        An aware datetime in UTC, or None for an empty value.

    Raises:
        ValueError: for a value that is neither.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("not a timestamp")
    try:
        return _parse_timestamp(value)
    except (OverflowError, OSError):
        raise ValueError("timestamp out of range") from None
    except ValueError:
        # the standard library's message quotes the raw value, which must not reach a rejects file
        raise ValueError("not a timestamp or ISO date") from None


def _parse_timestamp(value) -> dt.datetime:
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit()):
        return dt.datetime.fromtimestamp(float(value), tz=dt.timezone.utc)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    text = str(value).strip().replace("/", "-").replace("Z", "+00:00")
    parsed = dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


JSONL_SUFFIXES: tuple[str, ...] = (".jsonl", ".ndjson", ".json", ".zst")
CSV_SUFFIXES: tuple[str, ...] = (".csv",)

# A lone UTF-16 surrogate can come out of a JSON "\ud83d" escape (half an emoji); it cannot be
# written as UTF-8, so it would crash the build's writer.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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

        Strings longer than :data:`~forum_anecdotes.io.MAX_POST_BYTES` are a problem (almost
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
