"""The interface every source importer implements.

An importer is a function::

    def import_<format>(path: Path, *, source: str, rejects: Rejects, options: Mapping) -> Iterator[RawPost]

It reads the raw files at ``path`` (a file or a folder, as the format needs), yields one
:class:`~forum_anecdotes.schema.RawPost` per post in a stable order, and passes every bad record to
``rejects`` (which raises or records it). It does no anonymisation, filtering or deduplication:
the build does that for all sources alike. ``options`` carries format settings from the source's
catalogue entry (e.g. a column mapping); importers that need none ignore it.

Importers stream: they hold at most one thread in memory, so inputs of any size can be read.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol

from forum_anecdotes.corpus.io import Rejects
from forum_anecdotes.schema import RawPost


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
