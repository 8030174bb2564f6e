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
  A URL whose host is an IP address, or whose domain is a known user's name (an author linking
  their own site), becomes ``[URL]``. Markdown links keep their text:
  ``[notes](https://x.org/a)`` becomes ``[notes]([URL:x.org])``.
* "Dr Pepper", "Dr. Reddy's" (a generic-drug maker), "Dr. Google" and an honorific followed by an
  ordinary word ("my doctor. Still, ...") are not people: such words are never part of a NAME.
* Community names (known authors of the same source) are only matched when distinctive, because
  many handles are ordinary words. Thread names (authors of the same thread) are matched when at
  least 3 characters long, except ordinary words: a thread author "Will" is matched only as
  "Will", one called "hope" not at all.
* NAME covers names after an honorific and in self-introductions ("my name is ..."), not every
  person's name in free text: "Hi, I'm Sarah" and a bare "Emily Smith" are not found.
* Speed: the build scrubs thousands of posts per second on one core. Each rule runs only when a
  cheap test says it may match (a word of the post, a character such as "@"), patterns avoid
  case-insensitive and lookbehind-first forms that defeat the regex engine's fast search, and
  known names are found by dictionary lookup of the post's words, not by a regex of all names.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import functools
import ipaddress
import itertools
import os
import re
import secrets
import string
import urllib.parse
from collections.abc import Iterable
from typing import NamedTuple
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

    def __init__(self, key_file: Path | None = None, env_var: str = KEY_ENV_VAR):
        key_file = KEY_FILE if key_file is None else key_file
        super().__init__(
            f"no pseudonymisation key: set ${env_var} to a secret of at least {MIN_KEY_BYTES} characters, "
            f"or run `python scripts/make_key.py` to create {key_file}. Keep the key: another key gives "
            f"every author a different pseudonym."
        )


def load_key(*, env_var: str = KEY_ENV_VAR, key_file: Path | None = None) -> bytes:
    """The pseudonymisation key: the environment variable if set, else the key file.

    The key is the UTF-8 bytes of the variable's value or of the file's text, surrounding
    whitespace removed; the same secret gives the same key from either place.

    Args:
        env_var: the environment variable to read first (an empty value counts as unset).
        key_file: the file to read when the variable is unset; None: :data:`~forum_anecdotes.paths.KEY_FILE`
            (looked up at call time, so that tests and tools can point it elsewhere).

    Returns:
        The key bytes.

    Raises:
        KeyMissing: when neither the variable nor the file holds a key.
        ValueError: when the key is shorter than :data:`MIN_KEY_BYTES` bytes.
    """
    value = os.environ.get(env_var, "").strip()
    where = f"${env_var}"
    if not value:
        key_file = Path(KEY_FILE if key_file is None else key_file)
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


def create_key_file(path: Path | None = None) -> Path:
    """Write a new random key (32 bytes, hex) to ``path``, readable by its owner only (mode 0600).

    The file appears atomically: a reader sees no file or the whole key, never part of one.

    Args:
        path: where to write the key (None: :data:`~forum_anecdotes.paths.KEY_FILE`); missing parent
            folders are created (mode 0700).

    Returns:
        ``path``.

    Raises:
        FileExistsError: when ``path`` exists. A key is never overwritten: a new key would give
            every author a new pseudonym.
    """
    path = Path(KEY_FILE if path is None else path)
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


# ---- word lists ----

# Frequent English words, capitalised at the start of sentences and in titles: never a name's part.
_ENGLISH_WORDS = frozenset(
    """
    i i'm i've i'd i'll me my mine myself you you're you've your yours he he's him his she she's her hers it it's its
    we we're our us they they're their them this that that's these those there there's here who whom whose what
    which the a an and or but nor so yet if then than because since while when where why how though although unless
    until once after before during about above below over under into onto from with without within to for of on in
    at by up down out off as like just also only even still already always never ever often sometimes usually maybe
    perhaps probably really very too quite rather almost especially actually basically honestly seriously literally
    anyway anyways however otherwise instead meanwhile besides hence thus therefore yes no not ok okay thanks thank
    please sorry hey hi hello well oh lol now later soon again then first last next other another each every all
    any some many much more most few less least both either neither such same own
    is am are was were be been being do does did doing done have has had having will would can could shall should
    may might must need needs get gets got getting go goes going went gone come comes came make makes made take takes
    took taken give gives gave given say says said tell tells told ask asks asked think thinks thought know knows
    knew want wants wanted try tries tried see sees saw seen look looks looking looked feel feels felt keep keeps kept
    let lets put start started stop stopped check read find found call called talk talked use used help helped
    prescribe prescribes prescribed practiced practice recommended recommends switched upped lowered increased
    decreased love loved nods
    good bad great fine better best worse worst new old big small long little real sure true right wrong
    """.split()
)


# Given names that are also words: "Dr Will Hughes" is a name, "Will" alone may be a verb.
_WORD_NAMES = frozenset(
    "will may mark bill rose dawn june april august summer ray art pat sue rob don frank hope grace faith joy".split()
)

# Capitalised words after an honorific or "call me" that are no (part of a) person's name: "my
# doctor. Still, ..." and "Call Me By Your Name" start sentences and titles, "Dr Pepper" is a drink.
_NOT_A_NAME = _ENGLISH_WORDS | frozenset(
    """
    pepper peppers martens bronner bronner's reddy reddy's reddys google contin pm am
    today tonight tomorrow yesterday monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    appointment appointments office visit visits note notes back
    generic president husband wife boyfriend girlfriend associates nobody somebody
    """.split()
)

# Handles that are ordinary words. Matching them case-insensitively would replace "will" and "hope"
# all through a thread; the words of drug forums ("withdrawal", "recovery") are among them.
_COMMON_WORDS = _ENGLISH_WORDS | _WORD_NAMES | frozenset(
    """
    sunny sunshine honey angel star lucky anon anonymous user guest admin mod moderator deleted
    withdrawal depression anxiety recovery addiction everything experience medication psychedelic
    """.split()
)


# ---- trigger words ----
#
# Most patterns only run when a word they need occurs in the post: the post's words are collected
# once (:func:`_words`), and a set lookup is far cheaper than a regex scan of 600 characters.

# Honorifics before a person's name. Abbreviations may take a period, and any case; "doctor." and
# "professor." end a sentence instead. "ms" is milliseconds, "MS" multiple sclerosis and "miss" a
# verb: those count only as "Ms" and "Miss".
_ABBREVIATED_HONORIFICS = ("dr", "prof", "mr", "mrs")
_SPELLED_HONORIFICS = ("doctor", "professor")
_CASED_HONORIFICS = ("Ms", "Mx", "Miss")
_HONORIFICS = frozenset(_ABBREVIATED_HONORIFICS + _SPELLED_HONORIFICS) | {h.casefold() for h in _CASED_HONORIFICS}
_INTRO_PHRASES = ("my name", "name's", "name’s", "m called", "am called", "call me")
_PHONE_CUES = (
    "call", "text", "phone", "number", "tel", "cell", "mobile", "ring", "dial", "reach", "whatsapp", "hotline", "line",
)
_STREET_SUFFIXES = (
    "street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "dr", "boulevard", "blvd", "court", "ct",
    "way", "place", "pl", "terrace", "close", "crescent", "cres", "parkway", "pkwy", "highway", "hwy", "square", "sq",
    "circle", "cir", "trail", "mews", "grove", "gardens",
)
_PUNCT_TO_SPACE = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})  # for ASCII text
_WORD = re.compile(r"[^\W_]+")  # alphanumeric runs: the tokens names are matched on
# Patterns search a lowercased copy of the text instead of using re.IGNORECASE, which would disable
# the regex engine's fast scan for a literal prefix. The copy must keep every offset: str.lower()
# may not ("İ" becomes two characters), lowercasing ASCII only does.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _words(text: str) -> set[str]:
    """The casefolded alphanumeric runs of ``text``."""
    folded = text.casefold()
    if folded.isascii():  # str.translate is fast on ASCII text only
        return set(folded.translate(_PUNCT_TO_SPACE).split())
    return set(_WORD.findall(folded))


def _lowered(text: str) -> str:
    """``text`` lowercased with every character at its offset (see :data:`_ASCII_LOWER`)."""
    lowered = text.lower()
    # equal lengths: no character became two, so offsets agree; str.translate is slow on non-ASCII text
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


# ---- URLs and emails ----

# Top-level domains accepted for a bare domain without "http" or "www" ("erowid.org/exp"). Short
# ones that are also words or typos ("it", "no", "me", "at", "is") are left out on purpose:
# "took it.it was" must stay text.
_BARE_TLDS = (
    "com|org|net|edu|gov|mil|int|info|biz|io|co|uk|us|ca|au|nz|ie|de|fr|nl|es|eu|ch|se|dk|fi|pl"
    "|ly|gl|tv|xyz|app|dev|site|online|health|onion"
)
_URL_CHARS = r"""[^\s<>"'`{}|^\[\]]"""
# URL patterns search the lowered text (:func:`_lowered`).
_SCHEMED_URL = re.compile(rf"(?:https?://|ftp://|www\d{{0,3}}\.){_URL_CHARS}+")
_BARE_URL = re.compile(
    rf"(?<![\w@.\-/:])(?:(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{_BARE_TLDS})|youtu\.be|t\.me|wa\.me)(?![\w-])"
    rf"(?::\d{{2,5}})?(?:[/?#]{_URL_CHARS}*)?"
)
# A bare domain is matched backwards from its top-level domain: a pattern that starts with a
# literal "." is searched fast, one that starts with a domain label is tried at every letter.
_BARE_TLD_HINT = re.compile(rf"\.(?:{_BARE_TLDS}|be|me)(?![\w-])")
_DOMAIN_CHARS = frozenset(string.ascii_lowercase + string.digits + ".-")
# Second-level labels under which a country domain registers names ("bbc.co.uk").
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "sch"})

_EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9][\w.%+\-]*@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,}(?![\w\-])")
# "anna.w [at] example [dot] org", "anna at example dot com", with a known TLD at the end. A plain
# " at " needs a spelled " dot ": "look at erowid.org" is no email.
_BRACKETED_DOT, _SPELLED_DOT = r"\s*(?:\[dot\]|\(dot\)|\{dot\})\s*", r"\s+dot\s+"
_OBFUSCATED_EMAIL = re.compile(
    rf"""(?<![\w.])[a-z0-9][\w.+\-]*
    (?: \s*(?:\[at\]|\(at\)|\{{at\}})\s*[a-z0-9\-]+(?:(?:{_BRACKETED_DOT}|{_SPELLED_DOT}|\.)[a-z0-9\-]+)*?
          (?:{_BRACKETED_DOT}|{_SPELLED_DOT}|\.)
      | (?:{_SPELLED_DOT}[a-z0-9_+\-]+)*\s+at\s+[a-z0-9\-]+(?:{_SPELLED_DOT}[a-z0-9\-]+)*?{_SPELLED_DOT}
    )
    (?:{_BARE_TLDS})(?![\w-])""",
    re.X,
)

# ---- people ----

_AT_HANDLE = re.compile(r"(?<![\w@.+\-/])@([A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,38}[A-Za-z0-9_])?)")
# "@9pm" and "@200ug" are times and doses, "@home" is a place, "@OP" a role
_NOT_A_HANDLE = re.compile(r"\d+(?:[.,]\d+)?(?:mg|ug|mcg|g|ml|am|pm|h|hr|hrs|x|k)?", re.I)
_HANDLE_STOPWORDS = frozenset("home work school night noon midnight all everyone here op mods".split())
_REDDIT_USER = re.compile(r"(?<![\w/])(?:/?u|/user)/([A-Za-z0-9_\-]{3,30})(?![\w\-])", re.I)
_ENDS_WITH_NUMBER = re.compile(r"\d\s*$")

# Case variants are spelled out and the alternatives kept flat: with a case-insensitive or nested
# group the regex engine cannot search for the literal prefixes fast.
_HONORIFIC = "(?:{})".format("|".join(
    [rf"{v}\.?" for h in _ABBREVIATED_HONORIFICS for v in (h, h.capitalize(), h.upper())]
    + [v for h in _SPELLED_HONORIFICS for v in (h, h.capitalize(), h.upper())]
    + [rf"{h}\.?" if h != "Miss" else h for h in _CASED_HONORIFICS]
))
_NAME_TOKEN = r"(?:[A-Z]\.|[A-Z][a-zA-Z'’]*[a-z][a-zA-Z'’]*(?:-[A-Z][a-zA-Z'’]*[a-z][a-zA-Z'’]*)?)"
_NAME_PARTICLES = r"(?:(?:van|von|de|der|den|da|del|di|du|la|le|bin|al)\s+){1,2}"  # "van der Berg"
_NAME_RUN = rf"(?P<name>(?:{_NAME_PARTICLES})?{_NAME_TOKEN}(?:\s+(?:{_NAME_PARTICLES})?{_NAME_TOKEN}){{0,2}})"
_HONORIFIC_NAME = re.compile(rf"{_HONORIFIC}\s+{_NAME_RUN}")  # _find_names checks what comes before
_SELF_INTRO = re.compile(
    rf"(?<![\w'’])(?i:my\s+name\s+is|my\s+name['’]s|name['’]s|i['’]?m\s+called|i\s+am\s+called|call\s+me)\s+{_NAME_RUN}"
)
_NON_SPACE = re.compile(r"\S+")


# ---- numbers ----
#
# Patterns that start at a digit are tried at every digit of a post, and posts are full of doses:
# they start with the character class itself (so that the regex engine skips other characters
# fast) and only then look one character back ("not glued to a word or another number").

_DIGIT = re.compile(r"\d")
_PHONE = re.compile(
    r"""[+(\d](?<![\w+\-/.,$£€][+(\d])
    (?:
        (?<=\+)\d{1,3}[\s.\-]?(?:\(0\)[\s.\-]?)?(?:\(?\d{1,4}\)?[\s.\-]?){1,4}\d{2,4}    # +44 20 7946 0958
      | (?<=\()\d{3}\)[\s.\-]?\d{3}[\s.\-]\d{4}                                       # (555) 123-4567
      | (?<=\()0\d{2,4}\)[\s\-]?\d{3,4}[\s\-]?\d{3,4}                                   # (020) 7946 0958
      | (?<=1)[\s.\-](?:\(\d{3}\)[\s.\-]?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}                 # 1-555-123-4567
      | (?<=\d)\d{2}[\s.\-]\d{3}[\s.\-]\d{4}                                            # 555.123.4567
      | (?<=0)\d{2,4}[\s\-]?\d{3,4}[\s\-]?\d{3,4}                                        # 020 7946 0958
    )
    (?![\w\-]|[.,]\d)""",
    re.X,
)
#: Plausible digit counts of a phone number, by its first character.
_PHONE_DIGITS = {"+": (8, 15), "(": (10, 11), "0": (10, 11), "1": (10, 11)}
# Seven-digit local numbers and unseparated ten-digit ones look like ranges ("200-1000") or ids,
# so they count only near a word that announces a phone number ("text 555-0188", "555-0190 is my number").
_LOCAL_PHONE = re.compile(
    r"\d(?<![\w\-.,$£€]\d)(?:\d{2}[\-.\s]\d{4}|\d{2}[2-9]\d{6})(?![\w\-]|[.,]\d)"
)
_PHONE_CUE = re.compile(rf"\b(?:{'|'.join(_PHONE_CUES)})\b")  # searched in the lowered text
_PHONE_CUE_WINDOW = 30
_IPV4_HINT = re.compile(r"\.\d{1,3}\.\d")
_IPV4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}(?:\.\d{1,3}){3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])", re.I)
_ADDRESS = re.compile(
    rf"""\d(?<![\w.,/$£€\-]\d)\d{{0,4}}[A-Za-z]?(?:-\d{{1,5}})?\s+                     # 221B, 12-14
    (?:(?:N|S|E|W|North|South|East|West)\.?\s+)?
    (?:(?:[A-Z][a-z'’]+|[A-Z]\.|\d{{1,3}}(?:st|nd|rd|th))\s+){{1,3}}                      # street name words
    (?i:{'|'.join(_STREET_SUFFIXES)})\b\.?(?:\s+(?:NW|NE|SW|SE)\b)?
    (?:,?\s+(?:Apt|Apartment|Unit|Suite|Ste|Flat|\#)\.?\s*[A-Za-z0-9\-]{{1,6}}\b)?
    (?:,?(?:\s+[A-Z][a-z]+){{0,2}},?\s+                                                   # town, then
        (?:[A-Z]{{1,2}}\d[A-Z\d]?\s?\d[A-Z]{{2}}|[A-Z]{{2}}\s+\d{{5}}(?:-\d{{4}})?)\b)?      # NW1 6XE or OR 97201
    """,
    re.X,
)
# "2 Family Court hearings" are no address
_NOT_A_STREET = frozenset({"family", "drug", "supreme", "crown", "magistrates", "juvenile", "traffic", "probate"})
_PO_BOX = re.compile(r"\b(?i:p\.?\s?o\.?\s+box)\s+\d{1,6}\b")


# ---- names of known users ----


class _KnownName(NamedTuple):
    """A known user's name, split the way text is tokenised for matching.

    A NamedTuple because it is quick to build: a thread's names are prepared again whenever
    another author joins the thread.
    """

    key: str  # normalise_handle(name): numbers the user within a thread
    tokens: tuple[str, ...]  # casefolded alphanumeric runs
    token_set: frozenset[str]
    seps: tuple[str, ...]  # what lies between consecutive tokens (" " for any whitespace)
    lead: str  # non-alphanumeric characters before the first token ("_" in "_dreamer_")
    trail: str  # and after the last one
    exact: str | None  # when set, the text must spell the name exactly so ("Will", not "will")


def _squash(name: str) -> str:
    return "".join(c for c in name.casefold() if c.isalnum())


def _normalise_sep(sep: str) -> str:
    return " " if sep.isspace() else sep.casefold()


@functools.lru_cache(maxsize=1 << 16)
def _known_name(name: str) -> _KnownName | None:
    """How to find ``name`` in text; None when it cannot be told apart from ordinary words."""
    key = normalise_handle(name)
    parts = list(_WORD.finditer(key))
    if not parts or name.strip() == DELETED_AUTHOR:
        return None
    exact = None
    if key in _COMMON_WORDS:
        # "Will", "Hope", "Grace": only the capitalised spelling is the person; "hope" never is
        exact = _bare_handle(name)
        if exact == key:
            return None
    tokens = tuple(p.group() for p in parts)
    return _KnownName(
        key=key,
        tokens=tokens,
        token_set=frozenset(tokens),
        seps=tuple(_normalise_sep(key[a.end():b.start()]) for a, b in zip(parts, parts[1:])),
        lead=key[: parts[0].start()],
        trail=key[parts[-1].end():],
        exact=exact,
    )


def is_distinctive_community_name(name: str) -> bool:
    """Whether a known author of the source is matched in the text of other threads.

    Many handles are ordinary words ("Hope", "sunshine"); replacing those everywhere would damage
    the text. A name counts when it has at least 6 characters and either a digit, "_" or "-", an
    inner capital letter ("NightOwl"), or at least 10 characters.

    Args:
        name: the handle as the source gives it.

    Returns:
        True when the name should be matched in text.
    """
    bare = _bare_handle(name)
    if len(bare) < 6:
        return False
    return len(bare) >= 10 or any(c.isdigit() or c in "_-" for c in bare) or any(c.isupper() for c in bare[1:])


class _NameIndex:
    """Known names indexed by their first token, for matching by set and dictionary lookups.

    A regex alternation of ~10,000 handles is slow to compile and to run. Here a post's words are
    intersected with the names' first tokens, and only names all of whose tokens occur in the post
    are looked for: "the" starts many handles ("the_real_kai"), and occurs in every post.
    """

    def __init__(self, names: Iterable[_KnownName]):
        names_list = list(names)
        by_first: dict[str, list[_KnownName]] = {}
        for name in names_list:
            by_first.setdefault(name.tokens[0], []).append(name)
        for entries in by_first.values():  # longest first: "anna whitfield" before "anna"
            entries.sort(key=lambda n: -len(n.tokens))
        self.by_first = by_first
        self.first_tokens = frozenset(by_first)
        self.max_tokens = max((len(n.tokens) for n in names_list), default=0)
        # the names as a domain would spell them ("Quiet_Fern27" -> "quietfern27")
        self.squashed = frozenset(_squash(n.key) for n in names_list)

    def candidates(self, words: set[str]) -> dict[str, list[_KnownName]]:
        """The names that may occur in a post with these words, by first token."""
        out = {}
        for first in words & self.first_tokens:
            names = [n for n in self.by_first[first] if n.token_set <= words]
            if names:
                out[first] = names
        return out


def _is_glued_before(text: str, i: int) -> bool:
    """Whether the character before offset ``i`` joins a span to a longer token ("x-anna")."""
    if i == 0:
        return False
    c = text[i - 1]
    return c.isalnum() or c in "_/" or (c in "-." and i >= 2 and text[i - 2].isalnum())


def _is_glued_after(text: str, i: int) -> bool:
    """Whether the character at offset ``i`` joins a span to a longer token ("anna_w.com")."""
    if i >= len(text):
        return False
    c = text[i]
    return c.isalnum() or c == "_" or (c in "-." and i + 1 < len(text) and text[i + 1].isalnum())


# ---- helpers ----


def _is_ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def _site_of(host: str) -> str | None:
    """The registrable domain of a host ("old.reddit.com" -> "reddit.com"); None for an IP address."""
    host = host.strip(".").lower()
    if _is_ip(host, 4) or _is_ip(host, 6):
        return None
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
        host = urllib.parse.urlsplit(url if "://" in url else "//" + url).hostname
    except ValueError:  # e.g. an unbalanced "[" in the host
        host = None
    site = _site_of(host) if host else None
    return f"[URL:{site}]" if site else "[URL]"


# ---- the scrubber ----

# A candidate span: (start, end, kind, placeholder), where a USER's placeholder is first its key
_Candidate = tuple[int, int, str, str]

# When two candidate spans overlap, the longer one wins; at equal length the more specific kind
# (earlier here) wins, e.g. a thread author's name over the same words found by a NAME rule.
_KIND_RANK = {kind: rank for rank, kind in enumerate(("EMAIL", "URL", "IP", "PHONE", "ADDRESS", "USER", "NAME"))}
assert set(_KIND_RANK) == set(PLACEHOLDER_KINDS)


class TextScrubber:
    """Replaces identifiers in post text with typed placeholders.

    Build one per source (the community-name index is prepared here, once) and call
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
        return _apply(text, candidates, user_numbers)

    def _thread_index(self, thread_names: Iterable[str]) -> _NameIndex:
        # every post of a thread passes the same names: keep the index of the last call
        names = tuple(thread_names)
        if names != self._thread_cache[0]:
            known = (_known_name(n) for n in names if n and len(normalise_handle(n)) >= 3)
            self._thread_cache = (names, _NameIndex(k for k in known if k is not None))
        return self._thread_cache[1]

    def _find(self, text: str, thread_index: _NameIndex) -> list[_Candidate]:
        found: list[_Candidate] = []
        words = _words(text)
        lowered = _lowered(text)
        if "@" in text:
            _find_emails_and_handles(text, found)
        if "[at]" in lowered or "(at)" in lowered or "{at}" in lowered or ("at" in words and "dot" in words):
            found.extend((m.start(), m.end(), "EMAIL", "[EMAIL]") for m in _OBFUSCATED_EMAIL.finditer(lowered))
        if "u/" in lowered or "/user/" in lowered:
            _find_reddit_users(text, found)
        if "://" in lowered or "www" in lowered:
            _find_schemed_urls(text, lowered, found)
        if "." in lowered:
            _find_bare_urls(text, lowered, found)
        if _DIGIT.search(text):
            _find_numbers(text, lowered, words, found)
        if not words.isdisjoint(_HONORIFICS):
            _find_names(_HONORIFIC_NAME, text, found)
        if any(phrase in lowered for phrase in _INTRO_PHRASES):
            _find_names(_SELF_INTRO, text, found)
        for index in (thread_index, self._community):
            candidates = index.candidates(words)
            if candidates:
                _find_known_names(text, candidates, index.max_tokens, found)
        for i, (start, end, kind, placeholder) in enumerate(found):
            # an author linking their own site ("[URL:quietfern27.com]") would be named by the domain
            if kind == "URL" and placeholder != "[URL]":
                owner = _squash(placeholder[len("[URL:"):].split(".")[0])
                if owner in thread_index.squashed or owner in self._community.squashed:
                    found[i] = (start, end, kind, "[URL]")
        return found


def _find_emails_and_handles(text: str, found: list[_Candidate]) -> None:
    found.extend((m.start(), m.end(), "EMAIL", "[EMAIL]") for m in _EMAIL.finditer(text))
    for m in _AT_HANDLE.finditer(text):
        name = m.group(1).rstrip(".-")
        if not (_NOT_A_HANDLE.fullmatch(name) or name.casefold() in _HANDLE_STOPWORDS):
            found.append((m.start(), m.start() + 1 + len(name), "USER", normalise_handle(name)))


def _find_reddit_users(text: str, found: list[_Candidate]) -> None:
    for m in _REDDIT_USER.finditer(text):
        if not _ENDS_WITH_NUMBER.search(text, 0, m.start()):  # "10 u/day" is a dose rate
            found.append((m.start(), m.end(), "USER", normalise_handle(m.group(1))))


def _add_url(start: int, url: str, found: list[_Candidate]) -> None:
    url = _trim_url(url)
    if "." in url:  # not "www" or "http://" alone
        found.append((start, start + len(url), "URL", _url_placeholder(url)))


def _find_schemed_urls(text: str, lowered: str, found: list[_Candidate]) -> None:
    for m in _SCHEMED_URL.finditer(lowered):
        if not (m.group().startswith("www") and _is_glued_before(text, m.start())):  # "awww.."
            _add_url(m.start(), text[m.start():m.end()], found)


def _find_bare_urls(text: str, lowered: str, found: list[_Candidate]) -> None:
    done = 0
    for hint in _BARE_TLD_HINT.finditer(lowered):
        if hint.start() < done:  # the ".co" of ".co.uk", already part of a domain
            continue
        start = hint.start()
        while start > 0 and lowered[start - 1] in _DOMAIN_CHARS:
            start -= 1
        m = _BARE_URL.match(lowered, start)
        if m:
            _add_url(start, text[start:m.end()], found)
            done = m.end()


def _find_numbers(text: str, lowered: str, words: set[str], found: list[_Candidate]) -> None:
    for m in _PHONE.finditer(text):
        low, high = _PHONE_DIGITS.get(m.group()[0], (10, 10))
        if low <= sum(c.isdigit() for c in m.group()) <= high:
            found.append((m.start(), m.end(), "PHONE", "[PHONE]"))
    if not words.isdisjoint(_PHONE_CUES):
        for m in _LOCAL_PHONE.finditer(text):
            if _PHONE_CUE.search(lowered, max(0, m.start() - _PHONE_CUE_WINDOW), m.end() + _PHONE_CUE_WINDOW):
                found.append((m.start(), m.end(), "PHONE", "[PHONE]"))
    if _IPV4_HINT.search(text):
        found.extend((m.start(), m.end(), "IP", "[IP]") for m in _IPV4.finditer(text) if _is_ip(m.group(), 4))
    if "::" in text or text.count(":") >= 7:
        for m in _IPV6.finditer(text):
            ip = m.group()
            # ipaddress accepts "::" and "3::3"; in text those are punctuation and emoticons
            groups = [g for g in ip.split(":") if g]
            if len(groups) >= 2 and sum(map(len, groups)) >= 5 and _DIGIT.search(ip) and _is_ip(ip, 6):
                found.append((m.start(), m.end(), "IP", "[IP]"))
    if not words.isdisjoint(_STREET_SUFFIXES):
        for m in _ADDRESS.finditer(text):
            if _NOT_A_STREET.isdisjoint(m.group().casefold().split()):
                found.append((m.start(), m.end(), "ADDRESS", "[ADDRESS]"))
    if "box" in words:
        found.extend((m.start(), m.end(), "ADDRESS", "[ADDRESS]") for m in _PO_BOX.finditer(text))


def _find_names(pattern: re.Pattern[str], text: str, found: list[_Candidate]) -> None:
    for m in pattern.finditer(text):
        if _is_glued_before(text, m.start()) or (m.start() > 0 and text[m.start() - 1] in ".'’;"):
            continue  # "withDr Smith", "e.g.Dr", "I'd call me", "tl;dr"
        start = end = m.start("name")
        tokens = list(_NON_SPACE.finditer(text, start, m.end("name")))
        common = [t.group().casefold().replace("’", "'").rstrip(".") in _NOT_A_NAME for t in tokens]
        # The name ends before its first ordinary word; but a first word like "Will" or "May" is
        # a given name when a name-like word follows ("Dr Will Hughes").
        if len(tokens) > 1 and not common[1] and tokens[0].group().casefold() in _WORD_NAMES:
            common[0] = False
        for token, is_common in zip(tokens, common):
            if is_common:
                break
            end = token.end()
        if end > start:
            found.append((start, end, "NAME", "[NAME]"))


def _find_known_names(
    text: str, candidates: dict[str, list[_KnownName]], max_tokens: int, found: list[_Candidate]
) -> None:
    folded = text.casefold()
    if len(folded) == len(text):  # offsets in the casefolded text are offsets in the text
        starts = sorted(pos for word in candidates for pos in _whole_word_positions(folded, word))
    else:  # casefolding changed lengths ("ß" -> "ss"): try every token
        starts = [m.start() for m in _WORD.finditer(text)]
    for pos in starts:
        tokens = list(itertools.islice(_WORD.finditer(text, pos), max_tokens))
        folded_tokens = [t.group().casefold() for t in tokens]
        for name in candidates.get(folded_tokens[0], ()):
            n = len(name.tokens)
            if folded_tokens[:n] != list(name.tokens) or any(
                _normalise_sep(text[tokens[j - 1].end():tokens[j].start()]) != name.seps[j - 1] for j in range(1, n)
            ):
                continue
            start = pos - len(name.lead)
            end = tokens[n - 1].end() + len(name.trail)
            if (
                start < 0
                or (name.exact is not None and text[start:end] != name.exact)
                or text[start:pos].casefold() != name.lead
                or text[tokens[n - 1].end():end].casefold() != name.trail
                or _is_glued_before(text, start)
                or _is_glued_after(text, end)
            ):
                continue
            found.append((start, end, "USER", name.key))
            break


def _whole_word_positions(folded: str, word: str):
    """Offsets where ``word`` occurs in ``folded`` as a whole alphanumeric run."""
    pos = folded.find(word)
    while pos >= 0:
        end = pos + len(word)
        if not (pos > 0 and folded[pos - 1].isalnum()) and not (end < len(folded) and folded[end].isalnum()):
            yield pos
        pos = folded.find(word, end)


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
    for start, end, kind, placeholder in chosen:
        if kind == "USER":  # number users in order of appearance, continuing the thread's numbering
            if placeholder not in user_numbers:
                user_numbers[placeholder] = max(user_numbers.values(), default=0) + 1
            placeholder = f"[USER_{user_numbers[placeholder]}]"
        pieces += (text[pos:start], placeholder)
        replacements.append(Replacement(start, end, kind, placeholder))
        pos = end
    pieces.append(text[pos:])
    return ScrubResult("".join(pieces), replacements)
