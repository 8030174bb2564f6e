"""Is a capitalised token an English word, a drug's street name, or possibly a person's name?

The NAME and PLACE rules find a capitalised token after a cue ("I'm X", "my sister X", "- X" at
the end of a post, "in X") and must tell names from words: "I'm Tired", "my doctor Prescribed",
"-- Namaste" are no people. The lists, all loaded once per process on first use:

* English words: Webster's Second (the ``web2`` list of the maintained ``english-words``
  package, public domain), lowercase entries only, that modern text still uses: at least
  :data:`ATTESTED_COUNT` times in the English word-frequency list of the maintained
  ``pyspellchecker`` package. web2 has 210,000 lowercase entries, two thirds of them archaic,
  some spelled like given names ("dev"); 63,000 remain. Plus simple
  inflections (web2's headwords have no plurals or past forms) and ``modern_words`` of
  ``resources/anonymiser_words.yaml`` (web2 is from 1934: no "mom", "okay", "rehab");
* common words: those English words used at least :data:`COMMON_WORD_COUNT` times. After a
  strong cue such as "my wife X" only a common word ("Prescribed") is no name, a rare one
  ("Verity") may be;
* words that are also names: web2 lists people's and places' names capitalised; a word that is
  listed both ways ("will"/"Will", "mark"/"Mark", "hazel"/"Hazel") may be either;
* never names: ``not_names`` of the YAML (nationalities, religions, holidays, platforms,
  sign-off words), every one-word term of the substance lexicon (``resources/substances.yaml``,
  read-only: "Molly", "Tina", "Roxy", "Addy") and the YAML's ``drug_names`` ("Charlie", "Lucy").
"""
from __future__ import annotations

import enum
import functools

import yaml

from forum_anecdotes.corpus.anonymise.patterns import _NOT_A_NAME, _WORD_NAMES
from forum_anecdotes.corpus.lexicon import DEFAULT_LEXICON_PATH
from forum_anecdotes.paths import RESOURCES_DIR

WORDS_PATH = RESOURCES_DIR / "anonymiser_words.yaml"

_APOSTROPHES = ("'s", "’s", "'", "’")
# libyaml's loader where installed: the substance lexicon takes 0.7 s to parse in pure Python
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: A web2 word used fewer times than this in pyspellchecker's list counts as archaic: no word.
#: The list is built from subtitles and other text and holds names too ("patel" 87 times).
ATTESTED_COUNT = 100
#: A word at least this frequent in pyspellchecker's English list (counts from film subtitles and
#: other text; "tired" 118,218, "prescribed" 5,093, "newbie" 717, "verity" 111) is common. About
#: the 25,000 most frequent words; rarer dictionary words are more often given names than words
#: where a strong cue stands before them.
COMMON_WORD_COUNT = 1000


class Evidence(enum.IntEnum):
    """How strongly the context around a capitalised token says "a person's name".

    WEAK: a name only if it is no English word at all ("I'm Priyamvada", not "I'm Tired" nor "I'm
    Hazel"). MEDIUM: words that are also given names pass too ("Hazel here, 34", "- Grace"), other
    words do not ("Pharmacist here"). STRONG: only common words that are not also given names are
    refused: "my wife Verity" is a name, "my doctor Prescribed" is not.
    """

    WEAK = 1
    MEDIUM = 2
    STRONG = 3


@functools.lru_cache(maxsize=1)
def _yaml_lists() -> dict[str, frozenset[str]]:
    with open(WORDS_PATH, encoding="utf-8") as f:
        data = yaml.load(f, Loader=_YAML_LOADER)
    return {key: frozenset(str(value).casefold().split()) for key, value in data.items()}


@functools.lru_cache(maxsize=1)
def _dictionary() -> tuple[frozenset[str], frozenset[str]]:
    """(attested lowercase words, casefolded capitalised entries) of web2, plus the modern words."""
    from english_words import (
        get_english_words_set,  # imported late: loading takes ~0.1 s
    )

    web2 = get_english_words_set(["web2"])
    counts = _frequencies()
    lower = {w for w in web2 if w[:1].islower() and counts.get(w, 0) >= ATTESTED_COUNT}
    lower |= _yaml_lists()["modern_words"]
    proper = frozenset(w.casefold() for w in web2 if w[:1].isupper())
    return frozenset(lower), proper


@functools.lru_cache(maxsize=1)
def _frequencies() -> dict[str, int]:
    from spellchecker import SpellChecker  # imported late: loading takes ~0.2 s

    return SpellChecker(language="en", distance=1).word_frequency.dictionary


@functools.lru_cache(maxsize=1)
def drug_words() -> frozenset[str]:
    """One-word street and brand names of drugs: the lexicon's one-word terms and the YAML's
    ``drug_names``, casefolded. Never a person's name, even where they look like one."""
    with open(DEFAULT_LEXICON_PATH, encoding="utf-8") as f:
        data = yaml.load(f, Loader=_YAML_LOADER)
    terms: set[str] = set()
    for substance in data.get("substances", ()):
        for term in substance.get("terms", ()):
            terms.add(term["term"] if isinstance(term, dict) else str(term))
    for class_terms in (data.get("class_terms") or {}).values():
        terms.update(map(str, class_terms))
    one_word = {t.casefold() for t in terms if " " not in t.strip()}
    return frozenset(one_word | _yaml_lists()["drug_names"])


_MONTHS = frozenset("january february march april may june july august september october november december".split())


@functools.lru_cache(maxsize=1)
def _never_names() -> frozenset[str]:
    # given names that are frequent words ("Will", "Grace") are refused by evidence, not here
    frequent = _NOT_A_NAME - (_WORD_NAMES - _MONTHS)
    return frozenset(frequent | _yaml_lists()["not_names"] | drug_words())


def not_places() -> frozenset[str]:
    """Casefolded capitalised words that never start a PLACE (the YAML's ``not_places``)."""
    return _yaml_lists()["not_places"]


def _base_forms(word: str) -> list[str]:
    """``word`` and what it may be inflected from: web2 lists "hug", not "hugs"."""
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        forms.append(word[:-1])
    if word.endswith("ed"):
        forms += [word[:-2], word[:-1]]
    if word.endswith("ing"):
        forms += [word[:-3], word[:-3] + "e", word[:-4]]
    if word.endswith("ly"):
        forms.append(word[:-2])
    return [f for f in forms if len(f) >= 3]  # "ares" is no form of "ar"


@functools.lru_cache(maxsize=1 << 14)
def is_english_word(token: str) -> bool:
    """Whether ``token`` (any case) is an ordinary English word or an inflection of one.

    Args:
        token: one word, possibly capitalised or with a possessive "'s".

    Returns:
        True for "Tired", "hugs", "Hazel" (a tree) or "okay"; False for "Priyamvada".
    """
    lower, _ = _dictionary()
    word = strip_possessive(token).casefold()
    return any(form in lower for form in _base_forms(word))


@functools.lru_cache(maxsize=1 << 14)
def is_common_word(token: str) -> bool:
    """Whether ``token`` is an English word (:func:`is_english_word`) that is also frequent.

    Args:
        token: one word, in any case.

    Returns:
        True for "Prescribed", "Tired" and the modern words of the YAML ("Mom", "Newbie"); False
        for rare dictionary words ("Verity") and for non-words.
    """
    if not is_english_word(token):
        return False
    word = strip_possessive(token).casefold()
    if word in _yaml_lists()["modern_words"] or word in _NOT_A_NAME:
        return True
    counts = _frequencies()
    return max(counts.get(form, 0) for form in _base_forms(word)) >= COMMON_WORD_COUNT


@functools.lru_cache(maxsize=1 << 14)
def is_name_word(token: str) -> bool:
    """Whether ``token`` is a word that is also a name: listed by web2 both in lowercase and
    capitalised ("will"/"Will", "grace"/"Grace"), or one of the given names that are words of
    :data:`~forum_anecdotes.corpus.anonymise.patterns._WORD_NAMES` ("Hope", "Joy")."""
    _, proper = _dictionary()
    word = strip_possessive(token).casefold()
    return word in proper or word in _WORD_NAMES


def is_dictionary_proper_noun(token: str) -> bool:
    """Whether web2 lists ``token`` capitalised: a person's or a place's name ("Irving", "Atlanta")."""
    return strip_possessive(token).casefold() in _dictionary()[1]


def strip_possessive(token: str) -> str:
    """``token`` without a trailing "'s" or apostrophe ("Dave's" -> "Dave")."""
    for suffix in _APOSTROPHES:
        if token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def is_never_a_name(token: str) -> bool:
    """Whether ``token`` is a frequent word, a nationality, a platform, a sign-off word or a
    drug's name, which no context makes a person's name."""
    return strip_possessive(token).casefold() in _never_names()


def could_be_name(token: str, evidence: Evidence) -> bool:
    """Whether a capitalised token found after a name cue is taken for a person's name.

    Args:
        token: the token as written ("Priyamvada", "Grace", "Tired", "D").
        evidence: how strongly the cue says "a name" (see :class:`Evidence`).

    Returns:
        False for words that are never names; else True for non-words, and for words that are
        also given names with MEDIUM evidence, and for uncommon words with STRONG evidence.
    """
    token = strip_possessive(token)
    if not token or not token[0].isupper() or is_never_a_name(token):
        return False
    if len(token) == 1:
        return token != "I"  # an initial; callers only pass one where a signature may stand
    if not is_english_word(token):
        return True
    if evidence >= Evidence.MEDIUM and is_name_word(token):
        return True
    return evidence >= Evidence.STRONG and not is_common_word(token)
