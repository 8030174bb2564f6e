"""Anonymisation: keyed pseudonyms for authors, typed placeholders for identifiers in text.

Two things happen to every post before it is published:

* its author becomes a *pseudonym* (:func:`pseudonymise_author`): an HMAC of the normalised handle
  under a secret key, so the same person gets the same pseudonym in every source and every build,
  and nobody without the key can go back from the pseudonym to the handle;
* identifiers in its text become typed placeholders (:class:`TextScrubber`): ``[USER_n]``,
  ``[EMAIL]``, ``[URL:domain]``, ``[PHONE]``, ``[IP]``, ``[ADDRESS]`` and ``[NAME]``. The values
  are never kept, only their kind and offsets (:class:`Replacement`).

The scrubber is rule-based and tuned for precision as much as for recall, because researchers
read the scrubbed text: doses ("20mg", "0.5ml"), dates, prices, chemical names ("5-HT2A") and
subreddits ("r/opiates") are left alone. ``tests/fixtures/pii/pii_testset.jsonl`` measures it
(see :mod:`forum_anecdotes.corpus.pii_eval`).

Decisions worth knowing:

* URL placeholders keep the *registrable* domain ("old.reddit.com" -> ``[URL:reddit.com]``),
  not the full host, because subdomains of blog platforms are user names ("jane.tumblr.com").
  A URL whose host is an IP address becomes ``[URL]``.
* "Dr Pepper", "Dr. Reddy's" (a generic-drug maker) and "Dr. Google" are not people; a short list
  of such words after an honorific is never replaced (:data:`_NOT_A_NAME`).
* Community names (known authors of the same source) are only matched when distinctive, because
  many handles are ordinary words; thread names (authors of the same thread) are always matched.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

from forum_anecdotes.paths import KEY_ENV_VAR, KEY_FILE
from forum_anecdotes.schema import DELETED_AUTHOR, PLACEHOLDER_KINDS

#: Shorter keys are rejected: HMAC-SHA256 under a guessable key would make pseudonyms reversible
#: by trying every known handle.
MIN_KEY_BYTES = 16


# --------------------------------------------------------------------------------------------
# The key and pseudonyms
# --------------------------------------------------------------------------------------------


class KeyMissing(RuntimeError):
    """No pseudonymisation key is configured."""

    def __init__(self, key_file: Path = KEY_FILE, env_var: str = KEY_ENV_VAR):
        super().__init__(
            f"no pseudonymisation key: set ${env_var} to a secret of at least {MIN_KEY_BYTES} characters, "
            f"or run `python scripts/make_key.py` to create {key_file}. Keep the key: another key gives "
            f"every author a different pseudonym."
        )


def load_key(*, env_var: str = KEY_ENV_VAR, key_file: Path = KEY_FILE) -> bytes:
    """The pseudonymisation key: the environment variable if set, else the key file.

    The key is the UTF-8 bytes of the variable's value or of the file's text, surrounding
    whitespace removed; the same secret gives the same key from either place.

    Args:
        env_var: the environment variable to read first (an empty value counts as unset).
        key_file: the file to read when the variable is unset.

    Returns:
        The key bytes.

    Raises:
        KeyMissing: when neither the variable nor the file holds a key.
        ValueError: when the key is shorter than :data:`MIN_KEY_BYTES` bytes.
    """
    value = os.environ.get(env_var, "").strip()
    where = f"${env_var}"
    if not value:
        key_file = Path(key_file)
        if not key_file.is_file():
            raise KeyMissing(key_file, env_var)
        value = key_file.read_text(encoding="utf-8").strip()
        where = str(key_file)
    key = value.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"the pseudonymisation key in {where} is {len(key)} bytes; at least {MIN_KEY_BYTES} are needed "
            f"(run `python scripts/make_key.py` for a random one)"
        )
    return key


def create_key_file(path: Path = KEY_FILE) -> Path:
    """Write a new random key (32 bytes, hex) to ``path``, readable by its owner only (mode 0600).

    The file appears atomically: a reader sees no file or the whole key, never part of one.

    Args:
        path: where to write the key; missing parent folders are created (mode 0700).

    Returns:
        ``path``.

    Raises:
        FileExistsError: when ``path`` exists. A key is never overwritten: a new key would give
            every author a new pseudonym.
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists; refusing to overwrite a pseudonymisation key")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask can only remove bits; this makes the mode exact
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
        os.close(fd)
        fd = -1
        # link() fails if the target exists, so two concurrent callers cannot both win
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(f"{path} already exists; refusing to overwrite a pseudonymisation key") from None
    finally:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
    return path


def keyed_digest(value: str, *, key: bytes, length: int = 16) -> str:
    """A keyed, irreversible digest of ``value``: the first ``length`` hex digits of HMAC-SHA256.

    Args:
        value: the text to digest (e.g. a source's native post id).
        key: the pseudonymisation key.
        length: hex digits to keep, 1 to 64.

    Returns:
        Lowercase hex string of ``length`` characters.
    """
    if not 1 <= length <= 64:
        raise ValueError(f"length must be between 1 and 64, not {length}")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def normalise_handle(name: str) -> str:
    """The form of a handle that identifies a person: "@Anna_W", "u/anna_w", "/u/ANNA_W" -> "anna_w".

    Args:
        name: a handle as written, with or without a mention prefix.

    Returns:
        The handle stripped, without a leading "@", "u/" or "/u/", casefolded.
    """
    name = name.strip().casefold()
    for prefix in ("/u/", "u/", "@"):
        if name.startswith(prefix):
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

_AGE_BANDS: tuple[tuple[int, str], ...] = ((18, "<18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64"))


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


# --------------------------------------------------------------------------------------------
# Text scrubbing
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Replacement:
    """One identifier replaced in a text.

    Args:
        start: offset of its first character in the ORIGINAL text.
        end: offset after its last character in the original text.
        kind: one of :data:`~forum_anecdotes.schema.PLACEHOLDER_KINDS`.
        placeholder: what replaced it, e.g. "[USER_2]" or "[URL:example.org]".
    """

    start: int
    end: int
    kind: str
    placeholder: str


@dataclasses.dataclass
class ScrubResult:
    """A scrubbed text and what was replaced in it (in text order)."""

    text: str
    replacements: list[Replacement]


# When two candidate spans overlap, the longer one wins; at equal length the more specific kind
# (earlier here) wins, e.g. a thread author's name over the same words found by a NAME rule.
_KIND_RANK = {kind: rank for rank, kind in enumerate(("EMAIL", "URL", "IP", "PHONE", "ADDRESS", "USER", "NAME"))}
assert set(_KIND_RANK) == set(PLACEHOLDER_KINDS)

# ---- URLs and emails ----

# Top-level domains accepted for a bare domain without "http" or "www" ("erowid.org/exp"). Short
# ones that are also words or typos ("it", "no", "me", "at", "is") are left out on purpose:
# "took it.it was" must stay text.
_BARE_TLDS = (
    "com|org|net|edu|gov|mil|int|info|biz|io|co|uk|us|ca|au|nz|ie|de|fr|nl|es|eu|ch|se|dk|fi|pl"
    "|ly|gl|tv|xyz|app|dev|site|online|health|onion"
)
_URL_CHARS = r"""[^\s<>"'`{}|^\[\]]"""
_SCHEMED_URL = re.compile(rf"(?<![\w.\-/@])(?:(?:https?|ftp)://|www\d{{0,3}}\.){_URL_CHARS}+", re.I)
_BARE_URL = re.compile(
    rf"(?<![\w@.\-/:])(?:(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{_BARE_TLDS})|youtu\.be)(?![\w-])"
    rf"(?::\d{{2,5}})?(?:[/?#]{_URL_CHARS}*)?",
    re.I,
)
# Cheap test that a bare domain may be present, so the costly pattern usually does not run.
_BARE_TLD_HINT = re.compile(rf"\.(?:{_BARE_TLDS}|be)(?![\w-])", re.I)
# Second-level labels under which a country domain registers names ("bbc.co.uk").
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "sch"})

_EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9][\w.%+\-]*@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,}(?![\w\-])")
# "anna.w [at] example [dot] org", "anna at example dot com": only with a known TLD at the end.
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.])[A-Za-z0-9][\w.+\-]*\s*(?:\[at\]|\(at\)|\{{at\}}|\sat\s)\s*[A-Za-z0-9\-]+"
    rf"(?:\s*(?:\[dot\]|\(dot\)|\{{dot\}}|\sdot\s|\.)\s*[A-Za-z0-9\-]+)*?"
    rf"\s*(?:\[dot\]|\(dot\)|\{{dot\}}|\sdot\s|\.)\s*(?:{_BARE_TLDS})(?![\w-])",
    re.I,
)

# ---- people ----

_AT_HANDLE = re.compile(r"(?<![\w@.+\-/])@([A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,38}[A-Za-z0-9_])?)")
# "@9pm", "@ 3am" and "@200ug" are times and doses, and "@home" is a place
_NOT_A_HANDLE = re.compile(r"\d+(?:[.,]\d+)?(?:mg|ug|mcg|g|ml|am|pm|h|hr|hrs|x|k)?", re.I)
_HANDLE_STOPWORDS = frozenset({"home", "work", "school", "night", "noon", "midnight", "all", "everyone", "op", "mods", "here"})
_REDDIT_USER = re.compile(r"(?<![\w/])(?:/?u|/user)/([A-Za-z0-9_\-]{3,30})(?![\w\-])", re.I)
_ENDS_WITH_NUMBER = re.compile(r"\d\s*$")

_HONORIFIC = r"(?:(?i:dr|doctor|prof|professor|mr|mrs)|Ms|Miss|Mx)"  # "ms" is milliseconds, "miss" a verb
_NAME_TOKEN = r"(?:[A-Z]\.|[A-Z][a-zA-Z'’]*[a-z][a-zA-Z'’]*(?:-[A-Z][a-zA-Z'’]*[a-z][a-zA-Z'’]*)?)"
_NAME_PARTICLE = r"(?:(?:van|von|de|der|den|da|del|di|du|la|le|bin|al)\s+)"
_NAME_RUN = rf"({_NAME_TOKEN}(?:\s+{_NAME_PARTICLE}?{_NAME_TOKEN}){{0,2}})"
_HONORIFIC_NAME = re.compile(rf"(?<![\w.])({_HONORIFIC})\.?\s+{_NAME_RUN}")
_SELF_INTRO = re.compile(
    rf"(?<![\w'’])(?i:my\s+name\s+is|my\s+name['’]s|name['’]s|i['’]?m\s+called|i\s+am\s+called|call\s+me)\s+{_NAME_RUN}"
)
_NAME_TOKEN_SPLIT = re.compile(r"\S+")
# Capitalised words that follow an honorific or "call me" without being a person's name.
_NOT_A_NAME = frozenset(
    """
    pepper peppers martens bronner bronner's reddy reddy's reddys google oz's
    i i'm i've i'd he she they it we you his her their my our your its me him them us
    the a an and or but so then now also just not no yes ok okay thanks thank please
    today tonight tomorrow yesterday said says told tells thinks thought wants wanted asked
    prescribed recommended put gave switched upped lowered increased decreased started stopped
    is was has had will would can could should did does at in on to for of from with about
    if when who what why how that this these those there here
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december appointment office visit
    """.split()
)

# ---- numbers ----

_DIGIT = re.compile(r"\d")
_PHONE = re.compile(
    r"""(?<![\w+\-/.,$£€])
    (?:
        \+\d{1,3}[\s.\-]?(?:\(0\)[\s.\-]?)?(?:\(?\d{1,4}\)?[\s.\-]?){1,4}\d{2,4}    # +44 20 7946 0958
      | (?:1[\s.\-])?(?:\(\d{3}\)[\s.\-]?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}            # (555) 123-4567
      | 0\d{2,4}[\s\-]?\d{3,4}[\s\-]?\d{3,4}                                         # 020 7946 0958
    )
    (?![\w\-]|[.,]\d)""",
    re.X,
)
# Seven-digit local numbers and unseparated ten-digit ones look like ranges ("200-1000") or ids,
# so they count only right after a word that announces a phone number.
_CUED_PHONE = re.compile(
    r"(?i:\b(?:call|text|phone|number|tel|cell|mobile|ring|dial|reach|whatsapp|hotline|line)\b)"
    r"[^\d\n]{0,20}?(?<![\w\-])(\d{3}[\-.\s]\d{4}|[2-9]\d{2}[2-9]\d{6})(?![\w\-]|[.,]\d)"
)
_PHONE_DIGITS = {"+": (8, 15), "1": (10, 11), "(": (10, 10), "0": (10, 11)}
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])", re.I)
_STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl|Terrace|Close"
    r"|Crescent|Cres|Parkway|Pkwy|Highway|Hwy|Square|Sq|Circle|Cir|Trail|Mews|Grove|Gardens)"
)
_ADDRESS = re.compile(
    rf"""(?<![\w.,/$£€\-])
    \d{{1,5}}[A-Za-z]?(?:-\d{{1,5}})?\s+                                   # 221B, 12-14
    (?:(?:N|S|E|W|North|South|East|West)\.?\s+)?
    (?:(?:[A-Z][a-z'’]+|[A-Z]\.|\d{{1,3}}(?:st|nd|rd|th))\s+){{1,3}}        # street name words
    {_STREET_SUFFIX}\b\.?(?:\s+(?:NW|NE|SW|SE)\b)?
    (?:,?\s+(?:Apt|Apartment|Unit|Suite|Ste|Flat|\#)\.?\s*[A-Za-z0-9\-]{{1,6}}\b)?
    (?:,?(?:\s+[A-Z][a-z]+){{0,2}},?\s+                                   # town, then a postcode or "OR 97201"
        (?:[A-Z]{{1,2}}\d[A-Z\d]?\s?\d[A-Z]{{2}}|[A-Z]{{2}}\s+\d{{5}}(?:-\d{{4}})?)\b)?
    """,
    re.X,
)
_PO_BOX = re.compile(r"\b(?i:p\.?\s?o\.?\s+box)\s+\d{1,6}\b")

# ---- names of known users ----

_WORD = re.compile(r"[^\W_]+")  # alphanumeric runs: the tokens names are matched on


@dataclasses.dataclass(frozen=True)
class _KnownName:
    """A known user's name, split the way text is tokenised for matching."""

    key: str  # normalise_handle(name): numbers the user within a thread
    tokens: tuple[str, ...]  # casefolded alphanumeric runs
    seps: tuple[str, ...]  # what lies between consecutive tokens (" " for any whitespace)
    lead: str  # non-alphanumeric characters before the first token ("_" in "_dreamer_")
    trail: str  # and after the last one


def _normalise_sep(sep: str) -> str:
    return " " if sep.isspace() else sep.casefold()


def _known_name(name: str) -> _KnownName | None:
    key = normalise_handle(name)
    parts = list(_WORD.finditer(key))
    if not parts:
        return None
    return _KnownName(
        key=key,
        tokens=tuple(p.group() for p in parts),
        seps=tuple(_normalise_sep(key[a.end():b.start()]) for a, b in zip(parts, parts[1:])),
        lead=key[: parts[0].start()],
        trail=key[parts[-1].end():],
    )


def is_distinctive_community_name(name: str) -> bool:
    """Whether a known author of the source is matched in other threads' text.

    Many handles are ordinary words ("Hope", "sunshine"); replacing those everywhere would damage
    the text. A name counts when it has at least 6 characters and either a digit, "_" or "-", an
    inner capital letter ("NightOwl"), or at least 10 characters.

    Args:
        name: the handle as the source gives it.

    Returns:
        True when the name should be matched in text.
    """
    bare = name.strip()
    for prefix in ("/u/", "u/", "@"):
        if bare.casefold().startswith(prefix):
            bare = bare[len(prefix):]
            break
    if len(bare) < 6:
        return False
    return (
        len(bare) >= 10
        or any(c.isdigit() or c in "_-" for c in bare)
        or any(c.isupper() for c in bare[1:])
    )


class _NameIndex:
    """Known names indexed by their first token, for matching by token lookup instead of a regex.

    A regex alternation of ~10,000 handles is slow to compile and to run; here the text is split
    into tokens once and each token is one dictionary lookup.
    """

    def __init__(self, names: Iterable[_KnownName]):
        by_first: dict[str, list[_KnownName]] = {}
        for name in names:
            by_first.setdefault(name.tokens[0], []).append(name)
        for entries in by_first.values():  # longest first: "anna whitfield" before "anna"
            entries.sort(key=lambda n: -len(n.tokens))
        self.by_first = by_first

    def __bool__(self) -> bool:
        return bool(self.by_first)


def _is_glued_before(text: str, i: int) -> bool:
    """Whether the character before offset ``i`` joins the span to a longer token."""
    if i == 0:
        return False
    c = text[i - 1]
    if c.isalnum() or c in "_/":
        return True
    return c in "-." and i >= 2 and text[i - 2].isalnum()


def _is_glued_after(text: str, i: int) -> bool:
    """Whether the character at offset ``i`` joins the span to a longer token ("anna_w.com")."""
    if i >= len(text):
        return False
    c = text[i]
    if c.isalnum() or c == "_":
        return True
    return c in "-." and i + 1 < len(text) and text[i + 1].isalnum()


def _site_of(host: str) -> str | None:
    """The registrable domain of a host ("old.reddit.com" -> "reddit.com"), None for an IP address."""
    host = host.strip(".").lower()
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def _trim_url(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets after a URL ("(see x.org/a).")."""
    while url:
        last = url[-1]
        if last in ".,;:!?*'\"\\":
            url = url[:-1]
        elif last == ")" and url.count(")") > url.count("("):
            url = url[:-1]
        else:
            break
    return url


def _url_placeholder(url: str) -> str:
    try:
        split = urllib.parse.urlsplit(url if "://" in url else "//" + url)
        host = split.hostname
    except ValueError:  # e.g. an unbalanced "[" in the host
        host = None
    site = _site_of(host) if host else None
    return f"[URL:{site}]" if site else "[URL]"


# A candidate span: (start, end, kind, placeholder or user key)
_Candidate = tuple[int, int, str, str]


class TextScrubber:
    """Replaces identifiers in post text with typed placeholders.

    Build one per source (patterns and the community-name index are prepared here, once) and call
    :meth:`scrub` for each post.

    Args:
        community_names: known authors of the source. Distinctive ones
            (:func:`is_distinctive_community_name`) are replaced wherever they occur as whole tokens.
    """

    def __init__(self, *, community_names: Iterable[str] = ()) -> None:
        known = (_known_name(n) for n in community_names if n and is_distinctive_community_name(n))
        self._community = _NameIndex(k for k in known if k is not None)
        self._thread_cache: tuple[tuple[str, ...], _NameIndex] = ((), _NameIndex(()))

    def scrub(
        self,
        text: str,
        *,
        thread_names: Iterable[str] = (),
        user_numbers: dict[str, int] | None = None,
    ) -> ScrubResult:
        """Replace the identifiers in one post.

        Args:
            text: the post text.
            thread_names: names of the thread's authors (may contain spaces); matched as whole
                tokens, case-insensitively, when at least 3 characters long.
            user_numbers: the thread's numbering of users (normalised name -> n); read and
                extended, so pass the same dict for every post of a thread. None: a fresh one.

        Returns:
            The scrubbed text and the replacements, with offsets in ``text``.
        """
        if user_numbers is None:
            user_numbers = {}
        candidates = self._find(text, self._thread_index(thread_names))
        return self._apply(text, candidates, user_numbers)

    # -- finding --

    def _thread_index(self, thread_names: Iterable[str]) -> _NameIndex:
        # every post of a thread passes the same names: keep the last index
        names = tuple(thread_names)
        if names != self._thread_cache[0]:
            known = (_known_name(n) for n in names if n and len(normalise_handle(n)) >= 3)
            self._thread_cache = (names, _NameIndex(k for k in known if k is not None))
        return self._thread_cache[1]

    def _find(self, text: str, thread_index: _NameIndex) -> list[_Candidate]:
        found: list[_Candidate] = []
        if "@" in text:
            self._find_emails_and_handles(text, found)
        lowered = text.lower()
        if " at " in lowered or "[at]" in lowered or "(at)" in lowered or "{at}" in lowered:
            for m in _OBFUSCATED_EMAIL.finditer(text):
                found.append((m.start(), m.end(), "EMAIL", "[EMAIL]"))
        if "u/" in lowered or "/user/" in lowered:
            self._find_reddit_users(text, found)
        if "://" in text or "www" in lowered or _BARE_TLD_HINT.search(text):
            self._find_urls(text, found)
        if _DIGIT.search(text):
            self._find_numbers(text, lowered, found)
        self._find_names(text, found)
        if self._community or thread_index:
            tokens = _WORD.findall(text.casefold())
            for index in (thread_index, self._community):
                if index and not index.by_first.keys().isdisjoint(tokens):
                    self._find_known_names(text, index, found)
        return found

    @staticmethod
    def _find_emails_and_handles(text: str, found: list[_Candidate]) -> None:
        for m in _EMAIL.finditer(text):
            found.append((m.start(), m.end(), "EMAIL", "[EMAIL]"))
        for m in _AT_HANDLE.finditer(text):
            name = m.group(1).rstrip(".-")
            if _NOT_A_HANDLE.fullmatch(name) or name.casefold() in _HANDLE_STOPWORDS:
                continue
            found.append((m.start(), m.start() + 1 + len(name), "USER", normalise_handle(name)))

    @staticmethod
    def _find_reddit_users(text: str, found: list[_Candidate]) -> None:
        for m in _REDDIT_USER.finditer(text):
            if _ENDS_WITH_NUMBER.search(text, 0, m.start()):  # "10 u/day" is a dose rate
                continue
            found.append((m.start(), m.end(), "USER", normalise_handle(m.group(1))))

    @staticmethod
    def _find_urls(text: str, found: list[_Candidate]) -> None:
        for pattern in (_SCHEMED_URL, _BARE_URL):
            for m in pattern.finditer(text):
                url = _trim_url(m.group())
                if "." not in url:  # "www" alone, "http://" alone
                    continue
                found.append((m.start(), m.start() + len(url), "URL", _url_placeholder(url)))

    @staticmethod
    def _find_numbers(text: str, lowered: str, found: list[_Candidate]) -> None:
        for m in _PHONE.finditer(text):
            digits = sum(c.isdigit() for c in m.group())
            low, high = _PHONE_DIGITS.get(m.group()[0], (10, 10))
            if low <= digits <= high:
                found.append((m.start(), m.end(), "PHONE", "[PHONE]"))
        for m in _CUED_PHONE.finditer(text):
            found.append((m.start(1), m.end(1), "PHONE", "[PHONE]"))
        if "." in text:
            for m in _IPV4.finditer(text):
                if _is_ip(m.group(), 4):
                    found.append((m.start(), m.end(), "IP", "[IP]"))
        if "::" in text or text.count(":") >= 7:
            for m in _IPV6.finditer(text):
                ip = m.group()
                groups = [g for g in ip.split(":") if g]
                if len(groups) >= 2 and _DIGIT.search(ip) and _is_ip(ip, 6):
                    found.append((m.start(), m.end(), "IP", "[IP]"))
        for m in _ADDRESS.finditer(text):
            found.append((m.start(), m.end(), "ADDRESS", "[ADDRESS]"))
        if "box" in lowered:
            for m in _PO_BOX.finditer(text):
                found.append((m.start(), m.end(), "ADDRESS", "[ADDRESS]"))

    @staticmethod
    def _find_names(text: str, found: list[_Candidate]) -> None:
        for pattern in (_HONORIFIC_NAME, _SELF_INTRO):
            for m in pattern.finditer(text):
                run = m.group(m.lastindex)
                start = m.start(m.lastindex)
                end = start
                for token in _NAME_TOKEN_SPLIT.finditer(run):  # stop at the first word that is no name
                    if token.group().casefold().rstrip(".") in _NOT_A_NAME:
                        break
                    end = start + token.end()
                if end > start:
                    found.append((start, end, "NAME", "[NAME]"))

    @staticmethod
    def _find_known_names(text: str, index: _NameIndex, found: list[_Candidate]) -> None:
        tokens = list(_WORD.finditer(text))
        folded = [t.group().casefold() for t in tokens]
        for i, first in enumerate(folded):
            for name in index.by_first.get(first, ()):
                last = i + len(name.tokens) - 1
                if last >= len(tokens) or any(
                    folded[i + j] != name.tokens[j]
                    or _normalise_sep(text[tokens[i + j - 1].end():tokens[i + j].start()]) != name.seps[j - 1]
                    for j in range(1, len(name.tokens))
                ):
                    continue
                start = tokens[i].start() - len(name.lead)
                end = tokens[last].end() + len(name.trail)
                if (
                    start < 0
                    or text[start:tokens[i].start()].casefold() != name.lead
                    or text[tokens[last].end():end].casefold() != name.trail
                    or _is_glued_before(text, start)
                    or _is_glued_after(text, end)
                ):
                    continue
                found.append((start, end, "USER", name.key))
                break

    # -- replacing --

    @staticmethod
    def _apply(text: str, candidates: list[_Candidate], user_numbers: dict[str, int]) -> ScrubResult:
        # Each character is replaced at most once: take the longest candidate first (the most
        # specific kind at equal length) and drop any candidate overlapping one already taken.
        chosen: list[_Candidate] = []
        for cand in sorted(candidates, key=lambda c: (c[0] - c[1], _KIND_RANK[c[2]], c[0])):
            if all(cand[1] <= c[0] or cand[0] >= c[1] for c in chosen):
                chosen.append(cand)
        chosen.sort()
        pieces: list[str] = []
        replacements: list[Replacement] = []
        pos = 0
        for start, end, kind, value in chosen:
            if kind == "USER":  # value is the user's key: number users in order of appearance
                if value not in user_numbers:
                    user_numbers[value] = max(user_numbers.values(), default=0) + 1
                value = f"[USER_{user_numbers[value]}]"
            pieces.append(text[pos:start])
            pieces.append(value)
            replacements.append(Replacement(start, end, kind, value))
            pos = end
        pieces.append(text[pos:])
        return ScrubResult("".join(pieces), replacements)


def _is_ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False
