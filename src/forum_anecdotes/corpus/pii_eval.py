"""Measuring the anonymiser on hand-marked PII test sets.

Two test sets, each of short forum posts with every identifier marked inline as
``{{TYPE|value}}``, e.g. ``ask {{USER|@Anna_W}} or mail {{EMAIL|anna@example.org}}``:

* set 1, ``tests/fixtures/pii/pii_testset.jsonl`` (:data:`DEFAULT_TESTSET`): invented posts
  written together with the rules, hard negatives included. The rules are developed on it;
* set 2, ``tests/fixtures/pii/pii_testset_realistic.jsonl`` (:data:`REALISTIC_TESTSET`): 233
  realistic posts written by someone else before the NAME and PLACE rules existed. It is a
  held-out measurement: its errors may be read, but none of its strings may go into a rule,
  a word list or a test.

One JSON object per line::

    {"id": "pii-001", "text": "...", "thread_names": ["..."], "community_names": ["..."]}

:func:`evaluate` scrubs each post (with its own scrubber and names) and scores, per kind:

* recall: a gold span is *recalled* when replacements of its kind cover all its alphanumeric
  characters, so that nothing of the value leaks (a surrounding quote or bracket may stay);
* precision: a replacement is *correct* when it overlaps a gold span of its kind; any other
  replacement is a false positive of its own kind.

``scripts/evaluate_anonymiser.py`` prints a table per set and, with ``--check``, fails when a
target of :func:`targets_for` or :data:`TARGET_PRECISION` is missed on either.
"""
from __future__ import annotations

import dataclasses
import json
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from forum_anecdotes.corpus.anonymise import TextScrubber
from forum_anecdotes.paths import REPO_ROOT
from forum_anecdotes.schema import PLACEHOLDER_KINDS

#: Recall each kind must reach on a test set. Handles, emails, URLs and phone numbers are
#: regular enough to be caught every time; person names and places in free text are not.
TARGET_RECALL: dict[str, float] = {"USER": 1.0, "EMAIL": 1.0, "URL": 1.0, "PHONE": 1.0, "NAME": 0.9, "PLACE": 0.9}
#: Precision over all kinds together: researchers read the scrubbed text.
TARGET_PRECISION = 0.9

_PII_DIR = REPO_ROOT / "tests" / "fixtures" / "pii"
DEFAULT_TESTSET = _PII_DIR / "pii_testset.jsonl"
REALISTIC_TESTSET = _PII_DIR / "pii_testset_realistic.jsonl"
#: Both sets, in the order they are reported.
DEFAULT_TESTSETS: tuple[Path, ...] = (DEFAULT_TESTSET, REALISTIC_TESTSET)


def targets_for(testset: str | Path) -> dict[str, float]:
    """The recall targets of a test set.

    Args:
        testset: the set's path or file name ("pii_testset_realistic.jsonl").

    Returns:
        Kind -> recall target. Both sets have the targets of :data:`TARGET_RECALL`: the held-out
        set 2 must be met as well as the set the rules were written with, and so must any other
        set given by path.
    """
    del testset  # one set of targets today; the argument lets a set get its own later
    return dict(TARGET_RECALL)


_MARK = re.compile(r"\{\{([A-Za-z]+)\|([^{}|]*)\}\}")
_ALLOWED_KEYS = frozenset({"id", "text", "thread_names", "community_names"})


@dataclasses.dataclass(frozen=True)
class GoldSpan:
    """One marked identifier: ``text[start:end]`` of the unmarked text, of ``kind``."""

    start: int
    end: int
    kind: str


@dataclasses.dataclass(frozen=True)
class PiiExample:
    """One post of the test set, markup removed.

    Args:
        id: the example's id ("pii-001").
        text: the post without markup.
        gold: the identifiers in it.
        thread_names: authors of its thread, passed to :meth:`TextScrubber.scrub`.
        community_names: known authors of its source, passed to :class:`TextScrubber`.
    """

    id: str
    text: str
    gold: tuple[GoldSpan, ...]
    thread_names: tuple[str, ...] = ()
    community_names: tuple[str, ...] = ()


@dataclasses.dataclass
class KindScore:
    """Counts for one kind (or "ALL").

    Args:
        kind: a placeholder kind, or "ALL".
        gold: marked identifiers of this kind.
        tp: gold identifiers recalled (fully covered by replacements of this kind).
        fn: gold identifiers missed or only partly covered.
        predicted: replacements of this kind.
        fp: replacements of this kind that overlap no gold identifier of this kind.
        errors: one line per miss or false positive, for finding out why.
    """

    kind: str
    gold: int = 0
    tp: int = 0
    fn: int = 0
    predicted: int = 0
    fp: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def recall(self) -> float | None:
        """tp / gold, or None when there is no gold identifier."""
        return self.tp / self.gold if self.gold else None

    @property
    def precision(self) -> float | None:
        """Correct replacements / replacements, or None when nothing was replaced."""
        return (self.predicted - self.fp) / self.predicted if self.predicted else None

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "recall": self.recall, "precision": self.precision}


def parse_marked(text: str, *, example_id: str = "?") -> tuple[str, list[GoldSpan]]:
    """Remove ``{{TYPE|value}}`` markup from a text.

    Args:
        text: the marked text.
        example_id: named in error messages.

    Returns:
        The text with each mark replaced by its value, and the marked spans in it.

    Raises:
        ValueError: for an unknown TYPE, an empty value, or stray "{{" / "}}" (unclosed or
            nested marks); the message names ``example_id``.
    """
    plain: list[str] = []
    spans: list[GoldSpan] = []
    pos = length = 0
    for m in _MARK.finditer(text):
        kind, value = m.group(1), m.group(2)
        if kind not in PLACEHOLDER_KINDS:
            kinds = ", ".join(PLACEHOLDER_KINDS)
            raise ValueError(f"{example_id}: unknown identifier type {kind!r}; use one of {kinds}")
        if not value.strip():
            raise ValueError(f"{example_id}: empty value in {m.group()!r}")
        before = text[pos:m.start()]
        _reject_stray_markup(before, example_id)
        plain.append(before)
        length += len(before)
        spans.append(GoldSpan(length, length + len(value), kind))
        plain.append(value)
        length += len(value)
        pos = m.end()
    _reject_stray_markup(text[pos:], example_id)
    plain.append(text[pos:])
    return "".join(plain), spans


def _reject_stray_markup(segment: str, example_id: str) -> None:
    for token in ("{{", "}}"):
        if token in segment:
            near = segment[max(0, segment.index(token) - 20):][:50]
            raise ValueError(f"{example_id}: malformed markup near {near!r}")


def load_testset(path: str | Path = DEFAULT_TESTSET) -> list[PiiExample]:
    """Read a marked PII test set.

    Args:
        path: a JSON-lines file as described in the module docstring.

    Returns:
        The examples, in file order.

    Raises:
        ValueError: for any bad line, naming the file and line.
    """
    path = Path(path)
    examples: list[PiiExample] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                examples.append(_parse_example(line, seen))
            except ValueError as e:
                raise ValueError(f"{path}:{line_no}: {e}") from None
    return examples


def _parse_example(line: str, seen: set[str]) -> PiiExample:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"malformed JSON: {e.msg} at column {e.colno}") from None
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    unknown = set(obj) - _ALLOWED_KEYS
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)}; allowed: {sorted(_ALLOWED_KEYS)}")
    example_id, marked = obj.get("id"), obj.get("text")
    if not isinstance(example_id, str) or not example_id:
        raise ValueError("'id' must be a non-empty string")
    if example_id in seen:
        raise ValueError(f"duplicate id {example_id!r}")
    seen.add(example_id)
    if not isinstance(marked, str):
        raise ValueError(f"{example_id}: 'text' must be a string")
    names = {}
    for field in ("thread_names", "community_names"):
        value = obj.get(field, [])
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise ValueError(f"{example_id}: {field!r} must be a list of strings")
        names[field] = tuple(value)
    text, gold = parse_marked(marked, example_id=example_id)
    return PiiExample(id=example_id, text=text, gold=tuple(gold), **names)


def evaluate(
    examples: Iterable[PiiExample],
    *,
    scrubber_factory: Callable[..., TextScrubber] = TextScrubber,
) -> dict[str, KindScore]:
    """Scrub every example and score the replacements against the marks.

    Args:
        examples: the test set.
        scrubber_factory: builds a scrubber from ``community_names=``; one per example.

    Returns:
        A :class:`KindScore` per kind of :data:`PLACEHOLDER_KINDS`, in that order, then "ALL".
    """
    scores = {kind: KindScore(kind) for kind in PLACEHOLDER_KINDS}
    for ex in examples:
        result = scrubber_factory(community_names=ex.community_names).scrub(ex.text, thread_names=ex.thread_names)
        covered: dict[str, set[int]] = {kind: set() for kind in PLACEHOLDER_KINDS}
        for r in result.replacements:
            covered[r.kind].update(range(r.start, r.end))
        for g in ex.gold:
            score = scores[g.kind]
            score.gold += 1
            if all(i in covered[g.kind] for i in range(g.start, g.end) if ex.text[i].isalnum()):
                score.tp += 1
            else:
                score.fn += 1
                score.errors.append(f"{ex.id}: missed {ex.text[g.start:g.end]!r}")
        for r in result.replacements:
            score = scores[r.kind]
            score.predicted += 1
            if not any(g.kind == r.kind and g.start < r.end and r.start < g.end for g in ex.gold):
                score.fp += 1
                score.errors.append(f"{ex.id}: false positive {ex.text[r.start:r.end]!r} -> {r.placeholder}")
    total = KindScore("ALL")
    for s in scores.values():
        for field in ("gold", "tp", "fn", "predicted", "fp"):
            setattr(total, field, getattr(total, field) + getattr(s, field))
    scores["ALL"] = total
    return scores


def missed_targets(scores: dict[str, KindScore], *, targets: Mapping[str, float] | None = None) -> list[str]:
    """The targets that ``scores`` miss, one line each (empty when all are met).

    Args:
        scores: from :func:`evaluate`.
        targets: kind -> recall target; default :data:`TARGET_RECALL`.

    Returns:
        One line per missed target, e.g. "NAME: recall 0.850 < 0.90".
    """
    missed = []
    for kind, target in (TARGET_RECALL if targets is None else targets).items():
        recall = scores[kind].recall
        if recall is None:
            missed.append(f"{kind}: no gold identifiers to measure recall on")
        elif recall < target:
            missed.append(f"{kind}: recall {recall:.3f} < {target:.2f}")
    precision = scores["ALL"].precision
    if precision is not None and precision < TARGET_PRECISION:
        missed.append(f"ALL: precision {precision:.3f} < {TARGET_PRECISION:.2f}")
    return missed


def scores_to_json(
    scores: dict[str, KindScore], *, testset: str | Path, examples: int, targets: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """The scores, the targets and what was missed, as a JSON-ready dict."""
    targets = targets_for(testset) if targets is None else dict(targets)
    return {
        "testset": str(testset),
        "examples": examples,
        "targets": {"recall": targets, "precision": TARGET_PRECISION},
        "missed_targets": missed_targets(scores, targets=targets),
        "scores": {kind: s.to_dict() for kind, s in scores.items()},
    }


def format_table(scores: dict[str, KindScore], *, targets: Mapping[str, float] | None = None) -> str:
    """The scores as a plain-text table; "target" is a recall target, or the precision target for ALL."""
    targets = TARGET_RECALL if targets is None else targets
    header = ("kind", "gold", "tp", "fn", "fp", "recall", "precision", "target", "ok")
    rows = [header]
    for kind, s in scores.items():
        if kind == "ALL":
            target, ok = f"P>={TARGET_PRECISION:.2f}", s.precision is None or s.precision >= TARGET_PRECISION
        elif kind in targets:
            target, ok = f"R>={targets[kind]:.2f}", s.recall is not None and s.recall >= targets[kind]
        else:
            target, ok = "-", True
        counts = (str(s.gold), str(s.tp), str(s.fn), str(s.fp))
        rows.append((kind, *counts, _fmt(s.recall), _fmt(s.precision), target, "yes" if ok else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


# --------------------------------------------------------------------------------------------
# Throughput on synthetic posts
# --------------------------------------------------------------------------------------------

_SENTENCES = (
    "Day {n} of the taper and the brain zaps are finally easing off.",
    "I went from {d}mg to {d2}mg over {n} weeks, which my GP said was reasonable.",
    "The first ketamine infusion was at {t}am and I felt detached for about {n} hours.",
    "Sertraline made me numb but the anxiety dropped by maybe {p}% in the first month.",
    "Honestly the withdrawal from venlafaxine was worse than anything I felt on it.",
    "Paid ${d} for the script without insurance, which is ridiculous for a generic.",
    "Took {d} mg of pregabalin with food and slept through until {t}pm.",
    "Has anyone else noticed that the 5-HT2A stuff hits harder after a long break?",
    "Started on {d}mg oxycodone after surgery on {y}/0{m}/1{m} and it spiralled from there.",
    "Clonazepam {d2} mg 1X D kept the panic away but the tolerance crept up fast.",
    "My pharmacist warned me about mixing it with tramadol because of serotonin syndrome.",
    "Check r/benzorecovery and the wiki there, it helped me more than my doctor did.",
    "I'm {n}{n} now and I wish someone had told me this at twenty.",
    "Kratom took the edge off the first {n} days but the rebound was brutal.",
)
_IDENTIFIERS = (
    "Thanks {name}, that helped.",
    "Ask @{name} about the taper schedule.",
    "There is a good summary at https://www.example.org/taper/{n} if you want it.",
    "You can email me at {name}@example.com if you need to talk.",
    "u/{name} posted the same thing last year.",
)
_NAME_PARTS = ("night", "owl", "blue", "river", "quiet", "storm", "lucky", "moth", "paper", "kite", "slow", "burn")


def synthetic_community_names(n: int, *, seed: int = 0) -> list[str]:
    """``n`` invented handles in the styles forums use ("QuietStorm_42", "blue-kite7"); generated, so
    that no real handle is ever written down."""
    rng = random.Random(seed)
    names = []
    for i in range(n):
        a, b = rng.choice(_NAME_PARTS), rng.choice(_NAME_PARTS)
        style = i % 3
        names.append(f"{a.title()}{b.title()}_{i}" if style == 0 else f"{a}-{b}{i}" if style == 1 else f"{a}{b}{i:04d}")
    return names


def synthetic_posts(n: int, *, chars: int = 600, names: Sequence[str] = ("QuietStorm_1",), seed: int = 0) -> list[str]:
    """``n`` invented drug-experience posts of about ``chars`` characters, with doses, dates and
    other hard negatives; about two posts in five hold an identifier."""
    rng = random.Random(seed)
    posts = []
    for _ in range(n):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < chars:
            template = rng.choice(_IDENTIFIERS) if rng.random() < 0.06 else rng.choice(_SENTENCES)
            parts.append(template.format(
                n=rng.randint(1, 9), d=rng.choice((5, 10, 20, 50, 100)), d2=rng.choice((0.5, 1, 2.5)),
                t=rng.randint(1, 11), p=rng.randint(10, 90), y=rng.randint(2012, 2023), m=rng.randint(1, 9),
                name=rng.choice(names),
            ))
        posts.append(" ".join(parts))
    return posts


def measure_throughput(
    *, n_posts: int = 5000, n_community_names: int = 500, chars: int = 600, seed: int = 0
) -> dict[str, float]:
    """Posts per second of :meth:`TextScrubber.scrub` on synthetic posts, on one core.

    Args:
        n_posts: posts to scrub.
        n_community_names: invented community names given to the scrubber.
        chars: approximate length of each post.
        seed: for the synthetic posts and names.

    Returns:
        {"posts": ..., "mean_chars": ..., "seconds": ..., "posts_per_s": ...}
    """
    names = synthetic_community_names(n_community_names, seed=seed)
    posts = synthetic_posts(n_posts, chars=chars, names=names, seed=seed)
    scrubber = TextScrubber(community_names=names)
    thread_names = names[:5]
    numbers: dict[str, int] = {}
    start = time.perf_counter()
    for i, post in enumerate(posts):
        if i % 10 == 0:  # threads of ten posts
            numbers = {}
        scrubber.scrub(post, thread_names=thread_names, user_numbers=numbers)
    seconds = time.perf_counter() - start
    return {
        "posts": n_posts,
        "mean_chars": sum(map(len, posts)) / n_posts,
        "seconds": seconds,
        "posts_per_s": n_posts / seconds,
    }
