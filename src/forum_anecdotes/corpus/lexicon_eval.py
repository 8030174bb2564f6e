"""Measuring the substance lexicon on a sample of posts read by hand.

The sample (``tests/fixtures/lexicon/lexicon_sample.jsonl``) is 250 posts drawn at random (seeded) from
the raw r/opiates and RMHD files, anonymised, and read by an annotator who listed every substance
each post mentions, as the lexicon's canonical names, without seeing the lexicon's rules. Each line::

    {"id": "lex-001", "source": "opiates", "text": "...", "drugs": ["heroin"], "classes_only": [...],
     "unlisted": [...], "read_by": {"agent": "language_model", "agent_model": "...", ...}}

:func:`evaluate` compares the lexicon's ``drugs`` with the annotator's, two ways:

* per mention: precision and recall over (post, substance) pairs;
* per post: whether a post mentions any substance at all, which decides whether the build selects
  it (:class:`~forum_anecdotes.schema.Selection`).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from forum_anecdotes.corpus.lexicon import SubstanceLexicon, default_lexicon


@dataclasses.dataclass(frozen=True)
class SamplePost:
    """One hand-read post: its text and the substances the annotator found."""

    id: str
    source: str
    text: str
    drugs: frozenset[str]


@dataclasses.dataclass
class LexiconScores:
    """Counts and rates of one evaluation.

    Args:
        posts: posts read.
        tp, fp, fn: (post, substance) pairs found by both, by the lexicon only, by the reader only.
        post_tp, post_fp, post_fn: posts with any substance, by both, by the lexicon only, by the reader only.
        errors: one line per miss or spurious substance.
    """

    posts: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    post_tp: int = 0
    post_fp: int = 0
    post_fn: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)

    @staticmethod
    def _rate(num: int, den: int) -> float | None:
        return num / den if den else None

    @property
    def precision(self) -> float | None:
        return self._rate(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return self._rate(self.tp, self.tp + self.fn)

    @property
    def post_precision(self) -> float | None:
        return self._rate(self.post_tp, self.post_tp + self.post_fp)

    @property
    def post_recall(self) -> float | None:
        return self._rate(self.post_tp, self.post_tp + self.post_fn)

    def to_json(self) -> dict[str, Any]:
        """The counts and rates (no text), for reports and the data card."""
        def rounded(v):
            return None if v is None else round(v, 4)

        return {
            "posts": self.posts,
            "mentions": {"tp": self.tp, "fp": self.fp, "fn": self.fn,
                         "precision": rounded(self.precision), "recall": rounded(self.recall)},
            "posts_with_any_substance": {"tp": self.post_tp, "fp": self.post_fp, "fn": self.post_fn,
                                         "precision": rounded(self.post_precision), "recall": rounded(self.post_recall)},
        }


def load_sample(path: str | Path) -> list[SamplePost]:
    """Read the hand-read sample.

    Raises:
        ValueError: naming the file and line of a line that is not a JSON object with ``id``,
            ``text`` and a ``drugs`` list.
    """
    path = Path(path)
    posts = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                posts.append(SamplePost(id=str(record["id"]), source=str(record.get("source", "")),
                                        text=str(record["text"]), drugs=frozenset(record["drugs"])))
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise ValueError(f"{path}:{line_no}: not a sample record ({type(e).__name__}: {e})") from None
    return posts


def evaluate(sample: list[SamplePost], *, lexicon: SubstanceLexicon | None = None) -> LexiconScores:
    """Compare the lexicon with the hand-read substances of every post.

    Args:
        sample: the posts (:func:`load_sample`).
        lexicon: the lexicon to measure (default: the packaged one).

    Returns:
        The scores, with one error line per disagreement.
    """
    lexicon = lexicon if lexicon is not None else default_lexicon()
    scores = LexiconScores(posts=len(sample))
    for post in sample:
        found = frozenset(lexicon.substances(post.text)[0])
        scores.tp += len(found & post.drugs)
        scores.fp += len(found - post.drugs)
        scores.fn += len(post.drugs - found)
        scores.post_tp += bool(found) and bool(post.drugs)
        scores.post_fp += bool(found) and not post.drugs
        scores.post_fn += not found and bool(post.drugs)
        scores.errors += [f"{post.id}: missed {name}" for name in sorted(post.drugs - found)]
        scores.errors += [f"{post.id}: spurious {name}" for name in sorted(found - post.drugs)]
    return scores


def format_scores(scores: LexiconScores) -> str:
    """A small table of both views, for the console."""
    def pct(v):
        return "n/a" if v is None else f"{v:.3f}"

    rows = [
        f"{'':28} {'tp':>5} {'fp':>5} {'fn':>5} {'precision':>10} {'recall':>8}",
        f"{'substance mentions':28} {scores.tp:5} {scores.fp:5} {scores.fn:5} {pct(scores.precision):>10} {pct(scores.recall):>8}",
        f"{'posts with any substance':28} {scores.post_tp:5} {scores.post_fp:5} {scores.post_fn:5} "
        f"{pct(scores.post_precision):>10} {pct(scores.post_recall):>8}",
    ]
    return "\n".join(rows)
