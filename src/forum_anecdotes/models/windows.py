"""Reading long posts as windows of whole sentences instead of truncating them.

The encoder reads at most ``max_tokens`` tokens. A longer post is split into sentences
(:func:`sentence_split`), and consecutive sentences are packed into windows of at most
``max_tokens`` tokens (:func:`make_windows`); consecutive windows share ``stride_sentences``
sentences, so that a statement that straddles a window edge is read whole at least once. The
model scores each window and a post's logit per label is the maximum over its windows
(``tagger.json``'s ``"pooling": "max"``). Training, evaluation and tagging all window posts with
these functions and the ``window`` settings of ``tagger.json``, so that the model always sees
the same kind of input.
"""
from __future__ import annotations

import re

#: Abbreviations whose final period does not end a sentence (lower case, without the period).
ABBREVIATIONS = frozenset({
    "e.g", "i.e", "etc", "vs", "approx", "dr", "mr", "mrs", "ms", "prof", "st", "no", "fig", "ca", "cf",
    "incl", "esp", "min", "max", "wk", "wks", "hr", "hrs", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "u.s", "u.k",
})

# A candidate boundary: sentence-final punctuation, optional closing quotes or brackets, then
# whitespace. Periods inside numbers ("2.5 mg") or urls are not followed by whitespace.
_BOUNDARY = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*\s+")
_LAST_WORD = re.compile(r"(\S+?)[.]+$")


def join_title(title: str | None, text: str | None) -> str:
    """A post's title and text as one string, title first, each on its own line.

    The line break makes the title a sentence of its own for :func:`sentence_split`. A missing
    part (None, or NaN from a DataFrame) is left out.
    """
    return "\n".join(part.strip() for part in (title, text) if isinstance(part, str) and part.strip())


def sentence_split(text: str) -> list[str]:
    """Split text into sentences with simple rules (no model, nothing downloaded).

    Forum posts are loosely punctuated, so the rules are conservative: a line break always ends a
    sentence (posts use them as paragraph and list breaks); ``.``, ``!``, ``?`` or an ellipsis
    followed by whitespace ends one, except after a known abbreviation ("e.g.", "Dr."). Initials
    are not special-cased: "vitamin D. Then" is commoner in these forums than "J. Smith" (and
    names are anonymised). A sentence too long for a window is cut later, by tokens.

    Args:
        text: any text.

    Returns:
        The sentences, stripped, in order; empty ones dropped (``[]`` for blank text).
    """
    sentences: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in _BOUNDARY.finditer(line):
            head = line[start:match.start() + 1]
            last = _LAST_WORD.search(head)
            word = last.group(1).lower().lstrip("(\"'") if last else ""
            if line[match.start()] == "." and word in ABBREVIATIONS:
                continue  # "e.g. this", "Dr. Smith": not an end
            sentences.append(line[start:match.end()].strip())
            start = match.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if s]


def _cut_sentence(sentence: str, tokenizer, budget: int) -> list[str]:
    """Cut one sentence longer than ``budget`` tokens into pieces of at most ``budget`` tokens.

    With a fast tokenizer the pieces are slices of the original string (character offsets), so
    the text keeps its case and spacing; otherwise they are decoded from the tokens.
    """
    if getattr(tokenizer, "is_fast", False):
        encoding = tokenizer(sentence, add_special_tokens=False, return_offsets_mapping=True)
        offsets, words = encoding["offset_mapping"], encoding.word_ids()
        pieces, start = [], 0
        while start < len(offsets):
            end = min(start + budget, len(offsets))
            if end < len(offsets):
                # back off to a word's first token: a word cut in two re-tokenizes into more tokens
                cut = end
                while cut > start + 1 and words[cut] == words[cut - 1]:
                    cut -= 1
                if words[cut] != words[cut - 1]:  # else one word is longer than a window: cut inside it
                    end = cut
            pieces.append(sentence[offsets[start][0]:offsets[end - 1][1]].strip())
            start = end
        return [p for p in pieces if p]
    ids = tokenizer(sentence, add_special_tokens=False)["input_ids"]
    return [tokenizer.decode(ids[i:i + budget]) for i in range(0, len(ids), budget)]


def make_windows(text: str, tokenizer, *, max_tokens: int = 256, stride_sentences: int = 2) -> list[str]:
    """Pack a post's sentences into windows of at most ``max_tokens`` tokens.

    Sentences are packed greedily in order. The next window starts ``stride_sentences``
    sentences before the end of the previous one (so they overlap by that many sentences), and
    always at least one sentence later, so that packing ends. A sentence longer than a window
    is cut into window-sized pieces first, which then pack like sentences. ``max_tokens``
    counts the tokenizer's special tokens ([CLS], [SEP]), so a window encodes to at most
    ``max_tokens`` ids.

    Args:
        text: the post (title and text joined by :func:`join_title`).
        tokenizer: a Hugging Face tokenizer (counts the tokens).
        max_tokens: the encoder's input length, special tokens included.
        stride_sentences: how many sentences consecutive windows share (0: none).

    Returns:
        The windows' texts, in order; a post that fits is one window (``[""]`` for blank text,
        so that every post has a window).
    """
    budget = max_tokens - tokenizer.num_special_tokens_to_add(pair=False)
    if budget < 1:
        raise ValueError(f"max_tokens={max_tokens} leaves no room beside the special tokens")
    sentences = sentence_split(text)
    if not sentences:
        return [""]
    lengths = [len(ids) for ids in tokenizer(sentences, add_special_tokens=False)["input_ids"]]
    if sum(lengths) <= budget:  # the common case: the whole post fits
        return [" ".join(sentences)]
    units: list[tuple[str, int]] = []
    for sentence, length in zip(sentences, lengths):
        if length <= budget:
            units.append((sentence, length))
        else:
            pieces = _cut_sentence(sentence, tokenizer, budget)
            units += [(p, len(tokenizer(p, add_special_tokens=False)["input_ids"])) for p in pieces]
    windows: list[str] = []
    start = 0
    while start < len(units):
        end, used = start, 0
        # at least one unit per window; a cut piece may re-tokenize a token longer than budget,
        # which the encoder's truncation then absorbs
        while end < len(units) and (end == start or used + units[end][1] <= budget):
            used += units[end][1]
            end += 1
        windows.append(" ".join(u[0] for u in units[start:end]))
        if end >= len(units):
            break
        start = max(start + 1, end - stride_sentences)
    return windows
