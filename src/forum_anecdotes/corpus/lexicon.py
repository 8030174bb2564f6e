"""Find substance mentions in post text, with the lexicon in ``resources/substances.yaml``.

The lexicon maps terms (generic and brand names, misspellings, slang) to a normalised substance
name and one drug class. :class:`SubstanceLexicon` matches them on whole words, longest match
first, and fills the ``drugs`` and ``drug_classes`` fields of every post::

    lexicon = default_lexicon()
    lexicon.substances("did a bump of K, then 3 bars of xanax")
    # (['alprazolam', 'ketamine'], ['benzodiazepine', 'dissociative'])

How matching works, and why (it must keep up with tens of thousands of posts a second):

* The text is folded once, in C: encoded to ASCII with one "?" per other character (so byte
  offsets are character offsets), then one ``bytes.translate`` lowercases letters and turns every
  byte that is not a letter or digit into a space, and one ``split`` yields the words. A word is a
  run of letters and digits, so "5K" stays one word and never reads as "K". Lexicon terms are
  ASCII; a match glued to a non-ASCII letter ("Kétamine") is refused.
* Terms are looked up by word n-grams in a dict, starting only at words that begin some term
  (found with C-level ``map``/``compress``), longest n-gram first. There is no regex alternation
  over the lexicon: the cost per post stays flat however large the lexicon grows. Character
  offsets and the punctuation between words are worked out only around candidate words.
* Words of a multi-word term may be joined in the text by spaces, one hyphen or one apostrophe
  ("k-hole", "k hole", "St John's wort"), but not by other punctuation. No term starts on the word
  after an apostrophe ("it's ketamine" is not "s-ketamine", "I'm 30" is not "m-30").
* Ambiguous terms carry rules from the YAML: case-sensitive single letters ("K", "H", "E"), words
  that need drug context nearby ("pot", "bars"), words that lose to a nearby non-drug word
  ("drinking water", "that's dope", "my bud"), and phrases that are never substances ("ice cream",
  "coke zero"). Context words may count anywhere in the window or only right before or right after
  the term. The YAML's header documents each decision.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from itertools import accumulate, compress, count
from pathlib import Path
from typing import Any

import yaml

from forum_anecdotes.paths import RESOURCES_DIR

__all__ = ["DEFAULT_LEXICON_PATH", "LexiconError", "Mention", "SubstanceLexicon", "default_lexicon"]

DEFAULT_LEXICON_PATH = RESOURCES_DIR / "substances.yaml"

# bytes.translate table: ASCII letters to lowercase, digits kept, every other byte to a space.
_FOLD = bytes(
    (c | 0x20 if chr(c).isalpha() else c) if chr(c).isascii() and chr(c).isalnum() else 0x20
    for c in range(256)
)
# The words of a lexicon term, and what separates them.
_TERM_WORD = re.compile(r"[A-Za-z0-9]+")
# What may separate the words of one multi-word term in the text: "k hole", "k-hole", "John's".
# An optional full stop covers "St. John's wort"; newlines are whitespace too.
_JOINABLE = re.compile(r"\.?\s*[-\u2010\u2011\u2013'\u2019]?\s*").fullmatch
# Gap characters that glue two words into one token: "E-mail", "K-pop", "__K__ids" (markdown).
_GLUE = frozenset("-\u2010\u2011\u2013_")
_APOSTROPHES = frozenset("'\u2019")
# A dose written as one word: 10mg, 2g, 0.5ml (the "5ml" part), 100ug, 2mgs.
_DOSE = re.compile(rb"\d+(?:mg|mgs|mcg|ug|g|gs|gr|ml|mls|oz)").fullmatch

# Special entries of a word set (see the YAML header).
_SAME_CLASS = "#same_class"
_ANY_SUBSTANCE = "#any_substance"
_DOSE_ENTRY = "#dose"
_COUNT_ENTRY = "#count"
_SPECIALS = (_DOSE_ENTRY, _COUNT_ENTRY, _SAME_CLASS, _ANY_SUBSTANCE)
# What "#count" accepts right before a term besides digits ("2 blues", "ten subs").
_NUMBER_WORDS = frozenset(
    b"one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
    b"fifty hundred".split()
)
_BEFORE_PREFIX = "^"  # "^on", "^that's": the word(s) right before the term
_AFTER_PREFIX = "+"  # "+reflux", "+as fuck": the word(s) right after the term
_DEFAULT_CONTEXT = "drug_use"

_TERM_KEYS = frozenset({"term", "case_sensitive", "requires_context", "unless_near"})
_SUBSTANCE_KEYS = frozenset({"name", "class", "terms"})
_TOP_KEYS = frozenset(
    {"classes", "context_window", "word_sets", "not_substances", "class_terms", "substances"}
)


class LexiconError(ValueError):
    """The lexicon YAML is malformed; the message names the file and the offending entry."""


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys, which PyYAML would silently overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@dataclasses.dataclass(frozen=True)
class Mention:
    """One substance mention found in a text.

    Args:
        start: offset of the first character in the text.
        end: offset just after the last character, so ``text[start:end] == surface``.
        surface: the text as written ("Effexor XR", "xans").
        name: the normalised substance name ("venlafaxine", "alprazolam"); for a class term
            (``generic``) the class name.
        drug_class: the substance's class, one of :attr:`SubstanceLexicon.classes`.
        generic: True when the term names a class but no substance ("benzos", "SSRIs").
    """

    start: int
    end: int
    surface: str
    name: str
    drug_class: str
    generic: bool = False


@dataclasses.dataclass(frozen=True)
class _WordSet:
    """A compiled word set: the rules that decide whether an ambiguous term has context."""

    words: frozenset[bytes]  # folded words that count anywhere in the window
    before: frozenset[tuple[bytes, ...]]  # word sequences that count right before the term
    after: frozenset[tuple[bytes, ...]]  # word sequences that count right after the term
    dose: bool  # any dose token ("10mg") in the window counts
    count: bool  # a number right before the term counts ("2 blues", "ten subs")
    same_class: bool  # an unambiguous mention of the same class in the window counts
    any_substance: bool  # an unambiguous mention of any substance or class in the window counts

    def adjacent(self, i: int, j: int, words: list[bytes]) -> bool:
        """Whether ``words[i:j]`` follows a ``before`` sequence or precedes an ``after`` one.

        "it's" folds to the two words "it s", so "^it's" is a sequence of two.
        """
        before, after = self.before, self.after
        return any(tuple(words[max(0, i - n) : i]) in before for n in self.before_lengths) or any(
            tuple(words[j : j + n]) in after for n in self.after_lengths
        )

    @functools.cached_property
    def before_lengths(self) -> frozenset[int]:
        return frozenset(map(len, self.before))

    @functools.cached_property
    def after_lengths(self) -> frozenset[int]:
        return frozenset(map(len, self.after))


@dataclasses.dataclass(frozen=True)
class _Term:
    """What one lexicon key resolves to."""

    name: str
    drug_class: str
    generic: bool = False
    standalone: bool = False  # case-sensitive letters: never glued to a neighbour by a hyphen
    context: _WordSet | None = None
    unless: _WordSet | None = None
    plain: bool = dataclasses.field(init=False)  # no rule at all: accepted wherever it matches

    def __post_init__(self) -> None:
        plain = not self.standalone and self.context is None and self.unless is None
        object.__setattr__(self, "plain", plain)


# Outcomes of judging a candidate match (plain sentinels: cheap identity checks).
_ACCEPT, _PENDING, _REJECT = object(), object(), object()


class SubstanceLexicon:
    """Substance terms compiled for fast whole-word, longest-match look-up.

    Build it with :meth:`load`; use :func:`default_lexicon` for the packaged lexicon.
    """

    def __init__(
        self,
        classes: tuple[str, ...],
        names: tuple[str, ...],
        folded: dict[bytes, _Term],
        exact: dict[str, _Term],
        blockers: frozenset[bytes],
        window: int,
        source: str = "<memory>",
    ) -> None:
        self._classes = classes
        self._names = names
        self._folded = folded  # key: the term's folded words joined by b" "
        self._exact = exact  # key: the term's words as written joined by " " (case-sensitive)
        self._window = window
        self._source = source

        # Indexes over the folded words of every term (case-sensitive ones lowercased):
        #   _first:  a word that starts some term -> word count of the longest such term; the
        #            C-level scan in find() looks only for these words
        #   _single: words that are a whole term by themselves
        #   _second: first word of a multi-word term -> the words that may follow it; checked
        #            before any offset is computed, so "morning" or "5" rarely cost more
        term_words = [key.split(b" ") for key in folded]
        term_words += [[w.lower().encode("ascii") for w in key.split(" ")] for key in exact]
        self._first: dict[bytes, int] = {}
        second: dict[bytes, set[bytes]] = {}
        for ws in term_words:
            self._first[ws[0]] = max(self._first.get(ws[0], 0), len(ws))
            if len(ws) > 1:
                second.setdefault(ws[0], set()).add(ws[1])
        self._single = frozenset(ws[0] for ws in term_words if len(ws) == 1)
        self._second = {w: frozenset(nexts) for w, nexts in second.items()}
        # Folded first words of case-sensitive terms: only there is the exact table consulted.
        self._exact_first = frozenset(key.split(" ")[0].lower().encode("ascii") for key in exact)

        # A not_substances phrase is tried wherever one of its words could start a term, so that
        # "diet coke" is caught at "coke" without making "diet" a candidate of the scan.
        # word -> (how many words the phrase starts before it, phrase length, phrase key)
        anchored: dict[bytes, list[tuple[int, int, bytes]]] = {}
        for key in blockers:
            ws = key.split(b" ")
            for back, w in enumerate(ws):
                if w in self._first:
                    anchored.setdefault(w, []).append((back, len(ws), key))
        self._blockers = {w: tuple(v) for w, v in anchored.items()}

    # ------------------------------------------------------------------------------------------
    # Loading

    @classmethod
    def load(cls, path: Path | str | None = None) -> "SubstanceLexicon":
        """Read and validate a lexicon YAML file.

        Args:
            path: the YAML file; defaults to ``resources/substances.yaml`` in the package.

        Returns:
            The compiled lexicon.

        Raises:
            LexiconError: the file is not valid YAML or breaks a rule of the format (unknown class,
                a term listed for two substances, a substance without terms, ...); the message
                names the entry.
        """
        path = Path(path) if path is not None else DEFAULT_LEXICON_PATH
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
        except yaml.YAMLError as err:
            raise LexiconError(f"{path}: not valid YAML: {err}") from err
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str = "<memory>") -> "SubstanceLexicon":
        """Compile a lexicon from its parsed YAML (see :meth:`load`).

        Args:
            data: the mapping read from the YAML file.
            source: a name for error messages, usually the file path.

        Returns:
            The compiled lexicon.

        Raises:
            LexiconError: as for :meth:`load`.
        """
        return _Compiler(source).compile(data)

    # ------------------------------------------------------------------------------------------
    # Properties

    @property
    def classes(self) -> tuple[str, ...]:
        """The drug classes, in the order the YAML defines them."""
        return self._classes

    @property
    def names(self) -> tuple[str, ...]:
        """The substance names, in the order the YAML lists them."""
        return self._names

    def __repr__(self) -> str:
        terms = len(self._folded) + len(self._exact)
        return (
            f"SubstanceLexicon({self._source!r}: {len(self._names)} substances, "
            f"{terms} terms, {len(self._classes)} classes)"
        )

    # ------------------------------------------------------------------------------------------
    # Matching

    def find(self, text: str) -> list[Mention]:
        """Find the substance mentions of a text.

        Mentions do not overlap: at each word the longest term wins ("special K" over "K",
        "Effexor XR" over "Effexor"), and matching resumes after it.

        Args:
            text: the text to search.

        Returns:
            The mentions, in text order.
        """
        # "replace" writes one "?" per non-ASCII character, so byte offsets are text offsets.
        parts = text.encode("ascii", "replace").translate(_FOLD).split(b" ")
        words = list(compress(parts, parts))
        starts = list(compress(count(), map(self._first.__contains__, words)))
        if not starts:
            return []  # the common case for off-topic text, settled without a Python-level loop
        return self._match(text, parts, words, starts)

    def substances(self, text: str) -> tuple[list[str], list[str]]:
        """The substances and classes of a text: the ``drugs`` and ``drug_classes`` fields.

        Args:
            text: the text to search.

        Returns:
            (names, classes): sorted unique substance names, and sorted unique classes. A class
            term ("benzos") adds its class but no name, so classes may be non-empty when names is.
        """
        mentions = self.find(text)
        names = sorted({m.name for m in mentions if not m.generic})
        classes = sorted({m.drug_class for m in mentions})
        return names, classes

    def _match(
        self, text: str, parts: list[bytes], words: list[bytes], starts: list[int]
    ) -> list[Mention]:
        """Longest-match at the candidate words ``starts`` of a folded text."""
        # Character offsets: parts[p] begins at sum(len(parts[:p])) + p, since the folded text was
        # split on single spaces; word k is parts[part_of[k]].
        part_of = list(compress(count(), parts))
        part_end = list(accumulate(map(len, parts)))

        def start_of(k: int) -> int:
            p = part_of[k]
            return part_end[p] - len(parts[p]) + p

        def end_of(k: int) -> int:
            p = part_of[k]
            return part_end[p] + p

        folded, exact, exact_first = self._folded, self._exact, self._exact_first
        single, second, blockers = self._single, self._second, self._blockers
        n_words, text_len = len(words), len(text)
        accepted: list[tuple[int, int, int, int, _Term]] = []  # (word i, word j, start, end, term)
        pending: list[tuple[int, int, int, int, _Term]] = []  # waiting for a same-class neighbour
        resume = 0  # words before this index are taken by an earlier match
        for i in starts:
            if i < resume:
                continue
            word = words[i]
            if word not in single and (i + 1 == n_words or words[i + 1] not in second[word]):
                continue  # starts only multi-word terms, and the next word continues none
            if word in blockers:
                blocked_to = self._blocked_to(i, resume, words, text, start_of, end_of)
                if blocked_to:
                    resume = blocked_to
                    continue
            start = start_of(i)
            if i and text[start - 1] in _APOSTROPHES and end_of(i - 1) == start - 1:
                continue  # a clitic: the "s" of "it's", the "m" of "I'm"
            # End offsets of the run of words from i that joinable punctuation links.
            word_ends = [end_of(i)]
            for k in range(i + 1, i + min(self._first[word], n_words - i)):
                if not _JOINABLE(text[word_ends[-1] : start_of(k)]):
                    break
                word_ends.append(end_of(k))
            for n in range(len(word_ends), 0, -1):
                j = i + n
                term = None
                if word in exact_first:
                    term = exact.get(" ".join(text[start_of(k) : end_of(k)] for k in range(i, j)))
                if term is None:
                    term = folded.get(word if n == 1 else b" ".join(words[i:j]))
                if term is None:
                    continue
                end = word_ends[n - 1]
                if (start and text[start - 1].isalnum()) or (
                    end < text_len and text[end].isalnum()
                ):
                    continue  # glued to a non-ASCII letter or digit: part of another word
                if term.plain:
                    verdict = _ACCEPT
                else:
                    glue_before = text[end_of(i - 1) : start] if term.standalone and i else ""
                    glue_after = text[end : start_of(j)] if term.standalone and j < n_words else ""
                    verdict = self._judge(term, i, j, words, glue_before, glue_after)
                if verdict is _REJECT:
                    continue  # a shorter term may still match here
                (accepted if verdict is _ACCEPT else pending).append((i, j, start, end, term))
                resume = j
                break

        if pending:
            accepted = self._resolve_pending(accepted, pending)
        return [
            Mention(start, end, text[start:end], term.name, term.drug_class, term.generic)
            for _, _, start, end, term in accepted
        ]

    def _blocked_to(
        self,
        i: int,
        resume: int,
        words: list[bytes],
        text: str,
        start_of: Callable[[int], int],
        end_of: Callable[[int], int],
    ) -> int:
        """If a not_substances phrase covers word i, the word index just after it; else 0."""
        n_words = len(words)
        for back, n, key in self._blockers[words[i]]:
            first = i - back
            if first < resume or first + n > n_words or b" ".join(words[first : first + n]) != key:
                continue
            gaps = (text[end_of(k) : start_of(k + 1)] for k in range(first, first + n - 1))
            if all(map(_JOINABLE, gaps)):
                return first + n
        return 0

    # ------------------------------------------------------------------------------------------
    # Ambiguity rules

    def _judge(
        self, term: _Term, i: int, j: int, words: list[bytes], glue_before: str, glue_after: str
    ) -> object:
        """Decide on a candidate match of ``words[i:j]`` from the term's rules.

        ``glue_before``/``glue_after`` are the characters between the match and the neighbouring
        words, given for case-sensitive (standalone) terms only.
        """
        if term.standalone and (
            (glue_before and _GLUE.issuperset(glue_before))
            or (glue_after and _GLUE.issuperset(glue_after))
        ):
            return _REJECT
        if term.unless is None and term.context is None:
            return _ACCEPT
        near = words[max(0, i - self._window) : i] + words[j : j + self._window]
        unless = term.unless
        if unless is not None and (
            not unless.words.isdisjoint(near) or unless.adjacent(i, j, words)
        ):
            return _REJECT
        ctx = term.context
        if ctx is None:
            return _ACCEPT
        if not ctx.words.isdisjoint(near) or ctx.adjacent(i, j, words):
            return _ACCEPT
        if ctx.dose and any(w[:1].isdigit() and _DOSE(w) for w in near):
            return _ACCEPT
        if ctx.count and i and (words[i - 1].isdigit() or words[i - 1] in _NUMBER_WORDS):
            return _ACCEPT
        return _PENDING if ctx.same_class or ctx.any_substance else _REJECT

    def _resolve_pending(self, accepted: list, pending: list) -> list:
        """Keep the pending matches that have an accepted confirming mention within the window.

        A mention of the same class confirms ``#same_class``; any mention confirms
        ``#any_substance``. Only accepted mentions confirm, so two ambiguous words never confirm
        each other.
        """
        window = self._window
        kept = [
            (i, j, start, end, term)
            for i, j, start, end, term in pending
            if any(
                (term.context.any_substance or other.drug_class == term.drug_class)
                and max(oi - j, i - oj) < window
                for oi, oj, _, _, other in accepted
            )
        ]
        return sorted(accepted + kept, key=lambda m: m[0]) if kept else accepted


class _Compiler:
    """Validates the parsed YAML and builds the look-up tables, with errors that name the entry."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.folded: dict[bytes, _Term] = {}
        self.exact: dict[str, _Term] = {}
        self.blockers: set[bytes] = set()
        self.owner: dict[tuple[bool, str], str] = {}  # key -> who defined it, for error messages

    def fail(self, where: str, message: str) -> LexiconError:
        return LexiconError(f"{self.source}: {where}: {message}")

    def compile(self, data: Any) -> SubstanceLexicon:
        if not isinstance(data, dict):
            raise self.fail("top level", "expected a mapping with 'classes' and 'substances'")
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise self.fail(
                "top level", f"unknown keys {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}"
            )

        classes = self.string_list(data.get("classes"), "classes")
        if not classes:
            raise self.fail("classes", "must list at least one class")
        if len(set(classes)) != len(classes):
            raise self.fail("classes", "a class is listed twice")
        self.classes = tuple(classes)

        window = data.get("context_window", 4)
        if not isinstance(window, int) or isinstance(window, bool) or window < 1:
            raise self.fail("context_window", f"must be a positive integer, not {window!r}")

        self.word_sets = self.compile_word_sets(data.get("word_sets") or {})

        for phrase in self.string_list(data.get("not_substances") or [], "not_substances"):
            self.add(phrase, None, "not_substances", case_sensitive=False)

        class_terms = data.get("class_terms") or {}
        if not isinstance(class_terms, dict):
            raise self.fail("class_terms", "expected a mapping of class -> list of terms")
        for drug_class, terms in class_terms.items():
            where = f"class_terms[{drug_class!r}]"
            self.check_class(drug_class, where)
            self.add_terms(terms, where, drug_class, drug_class, generic=True)

        substances = data.get("substances")
        if not isinstance(substances, list) or not substances:
            raise self.fail("substances", "expected a non-empty list of substances")
        names: list[str] = []
        for index, entry in enumerate(substances):
            names.append(self.compile_substance(entry, index, names))

        # A not_substances phrase acts only where a term could start inside it.
        starts = {key.split(b" ")[0] for key in self.folded}
        starts |= {key.split(" ")[0].lower().encode("ascii") for key in self.exact}
        for key in sorted(self.blockers):
            if starts.isdisjoint(key.split(b" ")):
                raise self.fail(
                    "not_substances",
                    f"{key.decode()!r} contains no word that starts a term, so it can never apply",
                )

        return SubstanceLexicon(
            self.classes,
            tuple(names),
            self.folded,
            self.exact,
            frozenset(self.blockers),
            window,
            self.source,
        )

    def compile_word_sets(self, raw: Any) -> dict[str, _WordSet]:
        if not isinstance(raw, dict):
            raise self.fail("word_sets", "expected a mapping of name -> list of words")
        sets = {}
        for set_name, entries in raw.items():
            where = f"word_sets[{set_name!r}]"
            entries = self.string_list(entries, where)
            prefixed = ("#", _BEFORE_PREFIX, _AFTER_PREFIX)
            plain = {self.fold_word(e, where) for e in entries if not e.startswith(prefixed)}
            specials = {e for e in entries if e.startswith("#")}
            bad = specials - set(_SPECIALS)
            if bad:
                raise self.fail(
                    where,
                    f"unknown special entries {sorted(bad)}; allowed: {', '.join(_SPECIALS)}",
                )
            sets[set_name] = _WordSet(
                words=frozenset(plain),
                before=frozenset(
                    self.fold_words(e[len(_BEFORE_PREFIX) :], where)
                    for e in entries
                    if e.startswith(_BEFORE_PREFIX)
                ),
                after=frozenset(
                    self.fold_words(e[len(_AFTER_PREFIX) :], where)
                    for e in entries
                    if e.startswith(_AFTER_PREFIX)
                ),
                dose=_DOSE_ENTRY in specials,
                count=_COUNT_ENTRY in specials,
                same_class=_SAME_CLASS in specials,
                any_substance=_ANY_SUBSTANCE in specials,
            )
        return sets

    def compile_substance(self, entry: Any, index: int, seen: list[str]) -> str:
        where = f"substances[{index}]"
        if not isinstance(entry, dict):
            raise self.fail(where, "expected a mapping with name, class and terms")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail(where, "missing or empty 'name'")
        where = f"substance {name!r} ({where})"
        if name != name.strip().lower():
            raise self.fail(where, "the name must be lowercase without surrounding spaces")
        unknown = set(entry) - _SUBSTANCE_KEYS
        if unknown:
            raise self.fail(
                where, f"unknown keys {sorted(unknown)}; allowed: {sorted(_SUBSTANCE_KEYS)}"
            )
        if name in seen:
            raise self.fail(where, "this name is already used by an earlier substance")
        drug_class = entry.get("class")
        self.check_class(drug_class, where)
        self.add_terms(entry.get("terms"), where, name, drug_class, generic=False)
        return name

    def check_class(self, drug_class: Any, where: str) -> None:
        if drug_class not in self.classes:
            raise self.fail(
                where, f"unknown class {drug_class!r}; the classes are {', '.join(self.classes)}"
            )

    def add_terms(self, terms: Any, where: str, name: str, drug_class: str, generic: bool) -> None:
        if not isinstance(terms, list) or not terms:
            raise self.fail(where, "'terms' must be a non-empty list")
        for raw in terms:
            if isinstance(raw, dict):
                unknown = set(raw) - _TERM_KEYS
                if unknown:
                    raise self.fail(
                        where,
                        f"term {raw!r}: unknown keys {sorted(unknown)}; "
                        f"allowed: {sorted(_TERM_KEYS)}",
                    )
                text = raw.get("term")
                case_sensitive = raw.get("case_sensitive", False)
                requires = raw.get("requires_context", False)
                unless = raw.get("unless_near")
            else:
                text, case_sensitive, requires, unless = raw, False, False, None
            if not isinstance(text, str) or not text.strip():
                raise self.fail(
                    where,
                    f"term {raw!r} is not a non-empty string (quote YAML words like on/off/yes)",
                )
            if not isinstance(case_sensitive, bool):
                raise self.fail(where, f"term {text!r}: case_sensitive must be true or false")
            term = _Term(
                name,
                drug_class,
                generic=generic,
                standalone=case_sensitive,
                context=self.context_for(requires, where, text),
                unless=self.unless_for(unless, where, text),
            )
            self.add(text, term, where, case_sensitive)

    def context_for(self, requires: Any, where: str, text: str) -> _WordSet | None:
        if requires is False or requires is None:
            return None
        set_name = _DEFAULT_CONTEXT if requires is True else requires
        if not isinstance(set_name, str) or set_name not in self.word_sets:
            raise self.fail(
                where,
                f"term {text!r}: requires_context must be true or a word set name "
                f"({', '.join(self.word_sets) or 'none defined'}), not {requires!r}",
            )
        return self.word_sets[set_name]

    def unless_for(self, unless: Any, where: str, text: str) -> _WordSet | None:
        if unless is None:
            return None
        if not isinstance(unless, str) or unless not in self.word_sets:
            raise self.fail(
                where, f"term {text!r}: unless_near must name a word set, not {unless!r}"
            )
        word_set = self.word_sets[unless]
        if word_set.dose or word_set.count or word_set.same_class or word_set.any_substance:
            raise self.fail(
                where,
                f"term {text!r}: unless_near set {unless!r} has special entries "
                f"({', '.join(_SPECIALS)}), which only requires_context can use",
            )
        return word_set

    def fold_word(self, word: str, where: str) -> bytes:
        if not _TERM_WORD.fullmatch(word):
            raise self.fail(where, f"{word!r} is not one word of ASCII letters and digits")
        return word.lower().encode("ascii")

    def fold_words(self, text: str, where: str) -> tuple[bytes, ...]:
        """The folded words of a "^"/"+" entry: "that's" -> (b"that", b"s")."""
        pieces = _TERM_WORD.split(text)
        words = _TERM_WORD.findall(text)
        if not words or pieces[0] or pieces[-1] or not all(_JOINABLE(g) for g in pieces[1:-1]):
            raise self.fail(
                where,
                f"{text!r}: use ASCII words joined by spaces, one hyphen or one apostrophe",
            )
        return tuple(w.lower().encode("ascii") for w in words)

    def add(self, text: str, term: _Term | None, where: str, case_sensitive: bool) -> None:
        """Register a term, or a not_substances phrase when ``term`` is None."""
        # The term must be matchable: ASCII words, separated only by what the matcher joins over.
        pieces = _TERM_WORD.split(text.strip())
        words = _TERM_WORD.findall(text)
        if not words or pieces[0] or pieces[-1] or not all(_JOINABLE(g) for g in pieces[1:-1]):
            raise self.fail(
                where,
                f"term {text!r} cannot match: use ASCII letters and digits joined by spaces, "
                "one hyphen or one apostrophe",
            )
        key = " ".join(words if case_sensitive else (w.lower() for w in words))
        what = "not_substances" if term is None else f"{term.name!r}"
        previous = self.owner.get((case_sensitive, key))
        if previous is not None:
            if previous == what:
                raise self.fail(where, f"term {text!r} is listed twice")
            raise self.fail(
                where,
                f"term {text!r} is already mapped to {previous}; a term may map to one entry only",
            )
        self.owner[(case_sensitive, key)] = what
        if term is None:
            self.blockers.add(key.encode("ascii"))
        elif case_sensitive:
            self.exact[key] = term
        else:
            self.folded[key.encode("ascii")] = term

    def string_list(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(
                where,
                "expected a list of strings (quote YAML words like on/off/yes/no and numbers)",
            )
        return value


@functools.lru_cache(maxsize=1)
def default_lexicon() -> SubstanceLexicon:
    """The packaged lexicon, loaded once per process.

    Returns:
        :meth:`SubstanceLexicon.load` of ``resources/substances.yaml``.
    """
    return SubstanceLexicon.load()

