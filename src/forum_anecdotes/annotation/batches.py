"""Task batches: posts drawn from the corpus, with their thread context, split among annotators.

A batch is a folder with one task file per annotator, ``tasks-<annotator>.jsonl`` (the labeling
page serves them), and ``batch.json`` saying how it was drawn. A share of the posts (the
*overlap*) goes to several annotators, so that agreement can be measured; nobody sees anyone
else's answers, because answers are kept per annotator.

How posts are drawn (the ``selection`` of each task):

* ``random``: uniformly at random from the candidate posts, so that prevalence can be estimated
  without bias;
* ``stratified``: equal shares from every (source, drug class) stratum, then at random;
* ``enriched_lexicon``: posts whose text has cue words of a label (:data:`LABEL_CUES`) first, to
  find rare positives; each label gets an equal share of the cued posts;
* ``enriched_model``: posts a classifier scores highest for any label (needs a model's scores).

Posts of sources whose text is not published (PsyTAR, reddit_threads) need their text re-attached
from the raw files, and their batches must stay on this machine: :func:`write_batch` refuses to
write them anywhere but under ``.local/``.
"""
from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from forum_anecdotes import paths
from forum_anecdotes.annotation.records import GUIDE_VERSION, SELECTIONS
from forum_anecdotes.io import atomic_write, write_jsonl_atomic
from forum_anecdotes.labels import LABEL_NAMES

#: Sources whose text may not leave the maintainer's machine (their batches stay under .local/).
RESTRICTED_SOURCES: frozenset[str] = frozenset({"psytar", "reddit_threads"})

#: Cue words that make a label more likely, for enriched batches. They only order the draw; they
#: never label anything.
LABEL_CUES: dict[str, re.Pattern[str]] = {
    "effect_beneficial": re.compile(r"\b(helped|helps|works? (?:great|well)|relief|saved my life|feel better|"
                                    r"life back|improv\w+|game ?changer)\b", re.I),
    "effect_adverse": re.compile(r"\b(side ?effects?|nause\w+|dizz\w+|weight gain|insomnia|numb|libido|"
                                 r"sexual|headaches?|sweat\w*|emotional(?:ly)? blunt\w*|pssd)\b", re.I),
    "ssri_withdrawal": re.compile(r"\b(brain ?zaps?|discontinu\w+|tapering|taper(?:ed)?|(?:coming|came|come|get|got|"
                                  r"getting) off|cold turkey|missed (?:a |my )?dose|wean\w*|quit\w*|stopp\w+|"
                                  r"withdrawals?|w/d)\b", re.I),
    "abuse_harm": re.compile(r"\b(addict\w*|relapse\w*|overdos\w*|od'?d|craving\w*|tolerance|dope ?sick|"
                             r"clean (?:for|since)|days? clean|snort\w*|inject\w*|shoot(?:ing)? up|iv|nod\w*)\b", re.I),
    "first_hand": re.compile(r"\b(i (?:took|take|was on|am on|started|stopped|quit|tried|used)|"
                             r"i'?ve been (?:on|taking|using)|my (?:dose|doctor|psychiatrist))\b", re.I),
}


@dataclasses.dataclass(frozen=True)
class BatchPlan:
    """How to draw one batch.

    Args:
        name: the batch name (``[a-z0-9_-]+``), also the prefix of its task ids.
        size: how many distinct posts.
        annotators: who labels it; each gets a task file.
        strategy: one of "random", "stratified", "enriched_lexicon", "enriched_model".
        overlap: share of the posts sent to ``copies`` annotators (the rest to one each); ignored
            with a single annotator.
        copies: annotators per overlapping post (at most ``len(annotators)``).
        seed: the random seed; the same plan on the same corpus gives the same batch.
        labels: the labels the tasks ask (default all; PsyTAR batches ask only those PsyTAR lacks).
        focus: for ``enriched_lexicon``, the labels whose cue words draw posts (default: the asked
            labels, in equal shares); e.g. only ``ssri_withdrawal`` to find its rare positives.
    """

    name: str
    size: int
    annotators: tuple[str, ...]
    strategy: str = "random"
    overlap: float = 0.2
    copies: int = 2
    seed: int = 0
    labels: tuple[str, ...] = LABEL_NAMES
    focus: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", self.name):
            raise ValueError(f"batch name {self.name!r}: use lowercase letters, digits, - and _")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy {self.strategy!r} is not one of {', '.join(STRATEGIES)}")
        if not self.annotators or len(set(self.annotators)) != len(self.annotators):
            raise ValueError("annotators: give at least one, each once")
        for annotator in self.annotators:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}", annotator):
                raise ValueError(f"annotator {annotator!r}: use letters, digits, '.', '-' and '_'")
        unknown = sorted(set(self.labels) - set(LABEL_NAMES))
        if not self.labels or unknown:
            raise ValueError(f"labels: choose from {', '.join(LABEL_NAMES)}" + (f" (not {', '.join(unknown)})" if unknown else ""))
        if set(self.focus) - set(self.labels):
            raise ValueError(f"focus: only labels the tasks ask ({', '.join(self.labels)})")
        if self.size < 1:
            raise ValueError("size must be at least 1")
        if not 0 <= self.overlap <= 1:
            raise ValueError("overlap must be between 0 and 1")
        # one annotator: nothing to overlap with, the overlap is ignored
        if self.overlap > 0 and len(self.annotators) > 1 and not 2 <= self.copies <= len(self.annotators):
            raise ValueError(f"copies must be between 2 and the number of annotators ({len(self.annotators)})")


STRATEGIES: tuple[str, ...] = ("random", "stratified", "enriched_lexicon", "enriched_model")
assert set(STRATEGIES) <= set(SELECTIONS)


def draw_posts(candidates: pd.DataFrame, plan: BatchPlan, *, model_scores: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Choose ``plan.size`` posts from the candidates.

    Args:
        candidates: one row per post with at least ``post_id``, ``source``, ``drug_classes`` and
            ``text`` (and ``title``); posts already annotated should be left out by the caller.
        plan: the batch plan.
        model_scores: post_id -> the classifier's highest label probability (``enriched_model``).

    Returns:
        The chosen rows in draw order, with a ``selection`` column.

    Raises:
        ValueError: when there are fewer candidates than ``plan.size``, or ``enriched_model`` has
            no scores.
    """
    if len(candidates) < plan.size:
        raise ValueError(f"only {len(candidates)} candidate posts for a batch of {plan.size}")
    rng = np.random.default_rng(plan.seed)
    frame = candidates.reset_index(drop=True)
    if plan.strategy == "random":
        order = rng.permutation(len(frame))[: plan.size]
    elif plan.strategy == "stratified":
        order = _stratified(frame, plan.size, rng)
    elif plan.strategy == "enriched_lexicon":
        order = _enriched(frame, plan.size, rng, focus=plan.focus or plan.labels)
    else:
        if not model_scores:
            raise ValueError("enriched_model needs a trained model's scores (no model yet: use enriched_lexicon)")
        scores = frame["post_id"].map(model_scores).fillna(-1.0).to_numpy()
        order = np.lexsort((rng.random(len(frame)), -scores))[: plan.size]
    chosen = frame.iloc[order].copy()
    chosen["selection"] = plan.strategy
    return chosen


def _stratified(frame: pd.DataFrame, size: int, rng: np.random.Generator) -> np.ndarray:
    """Round-robin over (source, first drug class) strata in random order, each stratum shuffled."""
    first_class = frame["drug_classes"].map(lambda c: c[0] if len(c) else "none")
    strata = [rng.permutation(idx) for _, idx in frame.groupby([frame["source"], first_class]).indices.items()]
    rng.shuffle(strata)
    picked: list[int] = []
    depth = 0
    while len(picked) < size:
        for stratum in strata:
            if depth < len(stratum):
                picked.append(int(stratum[depth]))
                if len(picked) == size:
                    break
        depth += 1
    return np.array(picked)


def _enriched(frame: pd.DataFrame, size: int, rng: np.random.Generator, *, focus: Sequence[str]) -> np.ndarray:
    """Posts with cue words of the focus labels first, an equal share per label; then random posts to fill the batch."""
    text = (frame["title"].fillna("") + "\n" + frame["text"].fillna("")).to_numpy()
    cued = {name: rng.permutation([i for i, t in enumerate(text) if LABEL_CUES[name].search(t)]) for name in focus}
    picked: list[int] = []
    seen: set[int] = set()
    depth = 0
    while len(picked) < size and any(depth < len(c) for c in cued.values()):
        for name in cued:
            if depth < len(cued[name]) and int(cued[name][depth]) not in seen:
                seen.add(int(cued[name][depth]))
                picked.append(int(cued[name][depth]))
                if len(picked) == size:
                    break
        depth += 1
    rest = [i for i in rng.permutation(len(frame)) if int(i) not in seen]
    picked += [int(i) for i in rest[: size - len(picked)]]
    return np.array(picked)


def assign(post_ids: Sequence[str], plan: BatchPlan) -> dict[str, list[str]]:
    """Which annotator gets which post.

    The first ``round(overlap * n)`` posts go to ``copies`` annotators each, the rest to one;
    posts are dealt in turn so that every annotator gets about the same number.

    Returns:
        annotator -> post ids, in draw order.
    """
    n_shared = round(plan.overlap * len(post_ids)) if len(plan.annotators) > 1 else 0
    out: dict[str, list[str]] = {a: [] for a in plan.annotators}
    turn = 0
    for i, post_id in enumerate(post_ids):
        copies = plan.copies if i < n_shared else 1
        for _ in range(copies):
            out[plan.annotators[turn % len(plan.annotators)]].append(post_id)
            turn += 1
    return out


def _text_or_none(value) -> str | None:
    """A text field for a task: None where the corpus has none (pandas gives NaN, which is not JSON)."""
    return value if isinstance(value, str) else None


def thread_context(corpus: pd.DataFrame) -> tuple[dict[str, dict], dict[str, str]]:
    """Look-ups for task context: post_id -> {post_id, title, text}, thread_id -> its first post's id."""
    posts = {r.post_id: {"post_id": r.post_id, "title": _text_or_none(r.title), "text": _text_or_none(r.text)}
             for r in corpus[["post_id", "title", "text"]].itertuples(index=False)}
    first = corpus[corpus["position"] == 0].set_index("thread_id")["post_id"].to_dict()
    return posts, first


def make_tasks(chosen: pd.DataFrame, corpus: pd.DataFrame, plan: BatchPlan) -> dict[str, list[dict]]:
    """Task records per annotator (see :mod:`forum_anecdotes.annotation.records`).

    Args:
        chosen: the drawn posts (:func:`draw_posts`).
        corpus: every post with text, for the thread context.
        plan: the batch plan.

    Returns:
        annotator -> task records.
    """
    posts, first_of_thread = thread_context(corpus)
    task_ids = {post_id: f"{plan.name}-{i:05d}" for i, post_id in enumerate(chosen["post_id"])}
    rows = {r["post_id"]: r for r in chosen.to_dict("records")}
    tasks: dict[str, list[dict]] = {}
    for annotator, post_ids in assign(list(chosen["post_id"]), plan).items():
        tasks[annotator] = []
        for post_id in post_ids:
            row = rows[post_id]
            opening_id = first_of_thread.get(row["thread_id"])
            tasks[annotator].append({
                "task_id": task_ids[post_id],
                "batch": plan.name,
                "post_id": post_id,
                "source": row["source"],
                "selection": row["selection"],
                "title": _text_or_none(row["title"]),
                "text": _text_or_none(row["text"]),
                "parent": posts.get(row["parent_id"]) if row.get("parent_id") else None,
                "opening": posts.get(opening_id) if opening_id and opening_id != post_id else None,
                "labels": [name for name in LABEL_NAMES if name in plan.labels],
                "guide_version": GUIDE_VERSION,
            })
    return tasks


def write_batch(tasks: dict[str, list[dict]], plan: BatchPlan, out_dir: Path) -> Path:
    """Write a batch folder: ``tasks-<annotator>.jsonl`` per annotator and ``batch.json``.

    Args:
        tasks: annotator -> task records (:func:`make_tasks`).
        plan: the batch plan (recorded in ``batch.json``).
        out_dir: the folder that receives ``<plan.name>/``.

    Returns:
        The batch folder.

    Raises:
        ValueError: when the batch holds text of a restricted source and ``out_dir`` is not under
            ``.local/``, or the batch folder exists already (batches are never overwritten: answers
            refer to their task ids).
    """
    sources = {t["source"] for ts in tasks.values() for t in ts}
    restricted = sorted(sources & RESTRICTED_SOURCES)
    folder = Path(out_dir) / plan.name
    if restricted and not _is_local(folder):
        raise ValueError(f"the batch holds text of {', '.join(restricted)}, which may not leave this machine: "
                         f"write it under {paths.LOCAL_DIR} (e.g. --out-dir {paths.LOCAL_DIR / 'annotation' / 'batches'})")
    if folder.exists():
        raise ValueError(f"{folder} exists; batches are never overwritten (answers refer to their task ids)")
    folder.mkdir(parents=True)
    for annotator, records in tasks.items():
        write_jsonl_atomic(folder / f"tasks-{annotator}.jsonl", records)
    summary = dataclasses.asdict(plan) | {
        "posts": len({t["post_id"] for ts in tasks.values() for t in ts}),
        "tasks": {a: len(ts) for a, ts in tasks.items()},
        "sources": sorted(sources),
        "local_only": bool(restricted),
        "guide_version": GUIDE_VERSION,
    }
    with atomic_write(folder / "batch.json") as f:
        f.write(json.dumps(summary, indent=2) + "\n")
    return folder


def _is_local(folder: Path) -> bool:
    try:
        folder.resolve().relative_to(paths.LOCAL_DIR.resolve())
        return True
    except ValueError:
        return False


def read_tasks(batch_dir: Path) -> dict[str, dict]:
    """Every task of a batch folder, by task id (the same task may be in several annotators' files).

    Raises:
        ValueError: naming the file and line of a line that is not a JSON task.
    """
    tasks: dict[str, dict] = {}
    for path in sorted(Path(batch_dir).glob("tasks-*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, start=1):
                try:
                    task = json.loads(line)
                    tasks[task["task_id"]] = task
                except (json.JSONDecodeError, KeyError, TypeError) as e:
                    raise ValueError(f"{path}:{line_no}: not a task record ({e})") from None
    return tasks
