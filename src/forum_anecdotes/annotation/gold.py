"""Gold labels, from adjudication to the published corpus.

Three files in the repository carry the annotation into the corpus, none of them post text:

* ``annotation/batches/<batch>.jsonl``: each batch's index (task id, post id, source, how the post
  was chosen, who got it), written with the batch; the batch itself, with text, stays local;
* ``annotation/answers/<batch>/<annotator>.jsonl``: the answers (ids and labels);
* ``annotation/gold/labels.jsonl``: one line per annotated post, ``{"post_id", "selection",
  "labels": [label records]}``, written by ``annotate adjudicate`` (:func:`write_gold`).

The build attaches the gold file's label records to the posts and writes the ``gold``
configuration of the dataset (:mod:`forum_anecdotes.gold`).
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from forum_anecdotes import paths
from forum_anecdotes.io import write_jsonl_atomic


def corpus_frame(*, corpus_dir: str | os.PathLike = paths.CORPUS_DIR, raw_dir: Path | None = None,
                 key: bytes | None = None) -> pd.DataFrame:
    """Every post of the corpus in one DataFrame with a ``split`` column; withheld text re-attached
    from ``raw_dir`` when given (it stays in memory).

    Args:
        corpus_dir: the corpus folder.
        raw_dir: the raw-data folder, to re-attach withheld text (None: those posts have no text).
        key: the key the corpus was built with (for reddit_threads).

    Returns:
        One row per post.
    """
    from forum_anecdotes.corpus.load import load_corpus
    from forum_anecdotes.schema import SPLITS

    corpus = load_corpus(corpus_dir=corpus_dir, raw_dir=raw_dir, key=key)
    return pd.concat([corpus[s].to_pandas().assign(split=s) for s in SPLITS], ignore_index=True)


def annotated_post_ids(answers_dir: Path = paths.ANSWERS_DIR, index_dir: Path = paths.BATCH_INDEX_DIR) -> set[str]:
    """Posts already in a batch or answered (so that a new batch does not draw them again)."""
    out: set[str] = set(selections(index_dir))
    for path in sorted(Path(answers_dir).rglob("*.jsonl")) if Path(answers_dir).exists() else ():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                if "post_id" in record:
                    out.add(record["post_id"])
    return out


def write_batch_index(tasks: Mapping[str, list[dict]], name: str, index_dir: Path = paths.BATCH_INDEX_DIR) -> Path:
    """Write a batch's index without text: one line per post, with its annotators.

    Returns:
        The index file, ``<index_dir>/<name>.jsonl``.
    """
    rows: dict[str, dict[str, Any]] = {}
    for annotator, records in tasks.items():
        for task in records:
            row = rows.setdefault(task["post_id"], {"task_id": task["task_id"], "post_id": task["post_id"],
                                                    "source": task["source"], "selection": task["selection"],
                                                    "labels": task["labels"], "annotators": []})
            row["annotators"].append(annotator)
    path = Path(index_dir) / f"{name}.jsonl"
    write_jsonl_atomic(path, sorted(rows.values(), key=lambda r: r["task_id"]))
    return path


def selections(index_dir: Path = paths.BATCH_INDEX_DIR) -> dict[str, tuple[str, str]]:
    """post_id -> (how it was chosen, its batch), from the batch indexes (the first batch that drew it wins)."""
    out: dict[str, tuple[str, str]] = {}
    for path in sorted(Path(index_dir).glob("*.jsonl")) if Path(index_dir).exists() else ():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.setdefault(row["post_id"], (row["selection"], path.stem))
    return out


def write_gold(result, out: Path = paths.GOLD_LABELS, *, key_id: str, index_dir: Path = paths.BATCH_INDEX_DIR) -> int:
    """Write the gold labels of an adjudication (:class:`~forum_anecdotes.annotation.adjudicate.AdjudicationResult`).

    Args:
        result: the adjudication.
        out: the gold file.
        key_id: the id of the key the corpus was built with (post ids depend on it).
        index_dir: the batch indexes, for how each post was chosen.

    Returns:
        The number of posts written.
    """
    chosen = selections(index_dir)
    rows = [{"post_id": post_id, "key_id": key_id, "selection": chosen.get(post_id, (None, None))[0],
             "batch": chosen.get(post_id, (None, None))[1],
             "labels": [r.to_dict() for r in records]}
            for post_id, records in sorted(result.records.items())]
    write_jsonl_atomic(out, rows)
    return len(rows)


