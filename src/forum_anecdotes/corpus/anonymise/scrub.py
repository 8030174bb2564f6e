"""The text scrubber: identifiers in a post become typed placeholders.

See :mod:`forum_anecdotes.corpus.anonymise` for what is replaced and why.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from forum_anecdotes.corpus.anonymise.gazetteer import gazetteer
from forum_anecdotes.corpus.anonymise.names import (
    _Candidate,
    _find_known_names,
    _is_glued_before,
    _known_name,
    _NameIndex,
    _squash,
    is_distinctive_community_name,
)
from forum_anecdotes.corpus.anonymise.patterns import (
    _ADDRESS,
    _AT_HANDLE,
    _BARE_TLD_HINT,
    _BARE_URL,
    _DIGIT,
    _DOMAIN_CHARS,
    _EMAIL,
    _HANDLE_STOPWORDS,
    _HONORIFIC_NAME,
    _HONORIFICS,
    _INTRO_PHRASES,
    _IPV4,
    _IPV4_HINT,
    _IPV6,
    _LOCAL_PHONE,
    _NON_SPACE,
    _NOT_A_HANDLE,
    _NOT_A_NAME,
    _NOT_A_STREET,
    _OBFUSCATED_EMAIL,
    _PHONE,
    _PHONE_CUE,
    _PHONE_CUE_WINDOW,
    _PHONE_CUES,
    _PHONE_DIGITS,
    _PHONE_EXTENSION,
    _PO_BOX,
    _RATE_UNITS,
    _REDDIT_USER,
    _SCHEMED_URL,
    _SELF_INTRO,
    _STREET_SUFFIXES,
    _TRUNCATED_URL,
    _VANITY_PHONE,
    _VANITY_PREFIX,
    _WORD_NAMES,
    _broken_url_end,
    _is_ip,
    _lowered,
    _trim_url,
    _url_placeholder,
    _words,
)
from forum_anecdotes.corpus.anonymise.persons import find_person_names
from forum_anecdotes.corpus.anonymise.places import find_places
from forum_anecdotes.corpus.anonymise.pseudonyms import _bare_handle, normalise_handle
from forum_anecdotes.corpus.anonymise.wordlists import Evidence, could_be_name
from forum_anecdotes.schema import PLACEHOLDER_KINDS

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


# ---- the scrubber ----


# When two candidate spans overlap, the longer one wins; at equal length the more specific kind
# (earlier here) wins, e.g. a thread author's name over the same words found by a NAME rule.
_KIND_RANK = {kind: rank for rank, kind in enumerate(("EMAIL", "URL", "IP", "PHONE", "ADDRESS", "USER", "NAME", "PLACE"))}
assert set(_KIND_RANK) == set(PLACEHOLDER_KINDS)


class TextScrubber:
    """Replaces identifiers in post text with typed placeholders.

    Build one per source (the community-name index is prepared here, once) and call
    :meth:`scrub` for each post.

    Building the first scrubber of a process loads the gazetteer and word lists (about 2 s).

    Args:
        community_names: known authors of the source, and the handles its posts mention
            (:func:`mentioned_handles`, collected over the source). Distinctive ones
            (:func:`is_distinctive_community_name`) are replaced wherever they occur as whole tokens.
    """

    def __init__(self, *, community_names: Iterable[str] = ()) -> None:
        warm_up()  # the gazetteer and word lists load once per process (~2 s), here rather than mid-build
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
        if "…" in text or "..." in text:
            _find_truncated_urls(text, lowered, found)
        if _DIGIT.search(text):
            _find_numbers(text, lowered, words, found)
        if not words.isdisjoint(_HONORIFICS):
            _find_names(_HONORIFIC_NAME, text, found)
        if any(phrase in lowered for phrase in _INTRO_PHRASES):
            _find_names(_SELF_INTRO, text, found)
        find_person_names(text, words, found)
        find_places(text, words, found)
        indexes = [thread_index, self._community]
        if any(kind == "USER" for _, _, kind, _ in found):  # "u/name" mentioned: find a bare "name" too
            indexes.append(_mentioned_index(text, found))
        for index in indexes:
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


def warm_up() -> None:
    """Load the gazetteer and word lists of the NAME and PLACE rules now (they are cached for the
    process); :class:`TextScrubber` calls it, so that no post pays for it."""
    gazetteer()
    could_be_name("Warm", Evidence.WEAK)


def mentioned_handles(text: str) -> set[str]:
    """The handles a text mentions as "u/name", "/u/name", "/user/name" or "@name", as written.

    The build collects them over a whole source in its first pass and passes them, with the
    source's authors, to ``TextScrubber(community_names=...)``: a user whom one post calls
    "u/Quiet_Fern27" is then also found where another post writes a bare "Quiet_Fern27" (when the
    handle is distinctive, see :func:`is_distinctive_community_name`). Dose rates ("10 u/day"),
    times and doses ("@9pm", "@200ug") and emails are no handles.

    Args:
        text: a post's text.

    Returns:
        The mentioned handles without their "u/" or "@", in the case written.
    """
    found: list[_Candidate] = []
    if "u/" in text.lower() or "/user/" in text.lower():
        _find_reddit_users(text, found)
    if "@" in text:
        _find_emails_and_handles(text, found)
    return {_bare_handle(text[start:end]) for start, end, kind, _ in found if kind == "USER"}


def _mentioned_index(text: str, found: list[_Candidate]) -> _NameIndex:
    """The distinctive handles mentioned in this post ("u/Quiet_Fern27"), to find them bare too."""
    handles = [_bare_handle(text[start:end]) for start, end, kind, _ in found if kind == "USER"]
    known = (_known_name(h) for h in handles if is_distinctive_community_name(h))
    return _NameIndex(k for k in known if k is not None)


def _find_emails_and_handles(text: str, found: list[_Candidate]) -> None:
    found.extend((m.start(), m.end(), "EMAIL", "[EMAIL]") for m in _EMAIL.finditer(text))
    for m in _AT_HANDLE.finditer(text):
        name = m.group(1).rstrip(".-")
        if not (_NOT_A_HANDLE.fullmatch(name) or name.casefold() in _HANDLE_STOPWORDS):
            found.append((m.start(), m.start() + 1 + len(name), "USER", normalise_handle(name)))


def _find_reddit_users(text: str, found: list[_Candidate]) -> None:
    for m in _REDDIT_USER.finditer(text):
        if m.group(1).casefold() not in _RATE_UNITS:  # "10 u/day" is a dose rate
            found.append((m.start(), m.end(), "USER", normalise_handle(m.group(1))))


def _add_url(start: int, url: str, found: list[_Candidate], text: str) -> None:
    end = _broken_url_end(text, start + len(url))
    if end > start + len(url):  # "nih.gov/ pubmed/8122957": one link broken by a space
        url = text[start:end]
    url = _trim_url(url)
    if "." in url:  # not "www" or "http://" alone
        found.append((start, start + len(url), "URL", _url_placeholder(url)))


def _find_schemed_urls(text: str, lowered: str, found: list[_Candidate]) -> None:
    for m in _SCHEMED_URL.finditer(lowered):
        if not (m.group().startswith("www") and _is_glued_before(text, m.start())):  # "awww.."
            _add_url(m.start(), text[m.start():m.end()], found, text)


def _find_truncated_urls(text: str, lowered: str, found: list[_Candidate]) -> None:
    for m in _TRUNCATED_URL.finditer(lowered):
        _add_url(m.start(), text[m.start():m.end()], found, text)


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
            _add_url(start, text[start:m.end()], found, text)
            done = m.end()


def _find_numbers(text: str, lowered: str, words: set[str], found: list[_Candidate]) -> None:
    for m in _PHONE.finditer(text):
        low, high = _PHONE_DIGITS.get(m.group()[0], (10, 10))
        if low <= sum(c.isdigit() for c in m.group()) <= high:
            found.append((m.start(), _phone_end(text, m.end()), "PHONE", "[PHONE]"))
    if not words.isdisjoint(_PHONE_CUES):
        for m in _LOCAL_PHONE.finditer(text):
            if _PHONE_CUE.search(lowered, max(0, m.start() - _PHONE_CUE_WINDOW), m.end() + _PHONE_CUE_WINDOW):
                found.append((m.start(), _phone_end(text, m.end()), "PHONE", "[PHONE]"))
    for m in _VANITY_PHONE.finditer(text):
        prefix = _VANITY_PREFIX.search(text, max(0, m.start() - 4), m.start())
        start = prefix.start() if prefix else m.start()
        if not _is_glued_before(text, start) and not (start > 0 and text[start - 1] in "-/"):
            found.append((start, m.end(), "PHONE", "[PHONE]"))
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


def _phone_end(text: str, end: int) -> int:
    """The end of a phone number, with its extension if one follows ("... 4477 ext. 12")."""
    m = _PHONE_EXTENSION.match(text, end)
    return m.end() if m else end


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
