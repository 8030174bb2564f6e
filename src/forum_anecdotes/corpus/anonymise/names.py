"""Finding the names of known users (thread authors, distinctive authors of the source) in text."""
from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from typing import NamedTuple

from forum_anecdotes.corpus.anonymise.patterns import _COMMON_WORDS, _WORD
from forum_anecdotes.corpus.anonymise.pseudonyms import _bare_handle, normalise_handle
from forum_anecdotes.schema import DELETED_AUTHOR

# A candidate span: (start, end, kind, placeholder), where a USER's placeholder is first its key
_Candidate = tuple[int, int, str, str]

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
