"""Author pseudonyms, and the coarsening of dates and ages.

An author becomes an HMAC of the normalised handle under the project's key
(:mod:`forum_anecdotes.keys`): the same person gets the same pseudonym in every source and
build, and nobody without the key can go back from the pseudonym to the handle.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from forum_anecdotes.schema import DELETED_AUTHOR


def normalise_handle(name: str) -> str:
    """The form of a handle that identifies a person: "@Anna_W", "u/anna_w", "/u/ANNA_W" -> "anna_w".

    Args:
        name: a handle as written, with or without a mention prefix.

    Returns:
        The handle stripped, without a leading "@", "u/" or "/u/", casefolded.
    """
    return _bare_handle(name).casefold()


def _bare_handle(name: str) -> str:
    """``name`` stripped, without a leading "@", "u/" or "/u/" (in any case); case kept."""
    name = name.strip()
    lowered = name.lower()
    for prefix in ("/u/", "u/", "@"):
        if lowered.startswith(prefix):
            return name[len(prefix):].strip()
    return name


def pseudonymise_author(author: str | None, *, key: bytes) -> str | None:
    """The published pseudonym of an author.

    Args:
        author: the real author name or handle, as the source gives it.
        key: the pseudonymisation key.

    Returns:
        None for no author (None or blank), "[deleted]" unchanged, else "user_" followed by 12
        lowercase base32 characters of HMAC-SHA256(key, normalised handle): the same handle in
        any case or with "@"/"u/" gives the same pseudonym.
    """
    if author is None or not author.strip():
        return None
    if author.strip() == DELETED_AUTHOR:
        return DELETED_AUTHOR
    mac = hmac.new(key, normalise_handle(author).encode("utf-8"), hashlib.sha256).digest()
    return "user_" + base64.b32encode(mac).decode("ascii")[:12].lower()


# --------------------------------------------------------------------------------------------
# Dates and ages
# --------------------------------------------------------------------------------------------

#: (first age above the band, band)
_AGE_BANDS: tuple[tuple[int, str], ...] = (
    (18, "<18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64"),
)


def coarsen_date(value: dt.datetime | None) -> str | None:
    """A timestamp coarsened to its month.

    Args:
        value: a datetime (aware ones are converted to UTC first; naive ones are taken as UTC).

    Returns:
        "YYYY-MM", or None for None.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)
    return f"{value.year:04d}-{value.month:02d}"


def age_band(age: int | None) -> str | None:
    """The published age band of an age in years.

    Args:
        age: the writer's age.

    Returns:
        "<18", "18-24", "25-34", "35-44", "45-54", "55-64" or "65+"; None for None or an
        implausible age (below 10 or above 110), which is more likely an error than a person.
    """
    if age is None or isinstance(age, bool) or not 10 <= age <= 110:
        return None
    for upper, band in _AGE_BANDS:
        if age < upper:
            return band
    return "65+"
