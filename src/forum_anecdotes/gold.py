"""Gold labels in the published corpus: reading the gold file, and the flat ``gold`` rows.

The annotation stage writes ``annotation/gold/labels.jsonl`` (one line per annotated post,
``{"post_id", "selection", "labels": [label records]}``); the build reads it here, attaches the
records to their posts and writes the ``gold`` configuration of the dataset: one flat row per post
that has a gold label (:func:`gold_row`). The gold policy itself is
:func:`forum_anecdotes.schema.gold_record`.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forum_anecdotes import paths
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.schema import LabelOrigin, LabelRecord, gold_record

#: ``selection`` of a post whose only gold labels come from its own dataset (PsyTAR), not a batch.
EXTERNAL_SELECTION = "external_dataset"


class GoldKeyMismatch(ValueError):
    """The gold labels were made for a corpus built with another key: their post ids name other posts."""


def read_gold(path: Path = paths.GOLD_LABELS, *, key_id: str | None = None) -> dict[str, dict[str, Any]]:
    """The gold file as post_id -> {"selection", "labels"}; every record is checked.

    Args:
        path: the gold file.
        key_id: the :func:`~forum_anecdotes.keys.key_id` of the key the corpus is built with; when
            given, every line must have been made with the same key.

    Raises:
        ValueError: naming the file and line of a bad record.
        GoldKeyMismatch: when a line was made with another key.
    """
    out: dict[str, dict[str, Any]] = {}
    if not Path(path).exists():
        return out
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if key_id is not None and row.get("key_id") != key_id:
                raise GoldKeyMismatch(f"{path}:{line_no}: these gold labels name posts of a corpus built with another "
                                      f"key ({row.get('key_id')}, not {key_id}); build with that key")
            labels = [LabelRecord.from_dict(r).to_dict() for r in row["labels"]]
            out[row["post_id"]] = {"selection": row.get("selection"), "batch": row.get("batch"), "labels": labels}
        except GoldKeyMismatch:
            raise
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{path}:{line_no}: not a gold record ({e})") from None
    return out


def gold_row(post: Mapping[str, Any], *, split: str, selection: str | None, batch: str | None = None) -> dict[str, Any] | None:
    """The flat ``gold`` row of a published post, or None when it has no gold label.

    Args:
        post: a published record (its ``labels`` hold every label record).
        split: its split.
        selection: how it was chosen for annotation (None: not in a batch).
        batch: the annotation batch that drew it (``random1`` is the uniform sample of the corpus).

    Returns:
        ``post_id``, ``thread_id``, ``source``, ``split``, ``selection``, ``batch``, ``title``, ``text``, one
        0/1/None column per label, ``<label>_origin`` and ``<label>_by`` per label (who made the
        gold value: e.g. ``adjudicated`` / ``majority_vote``), ``annotators`` (who answered, with
        the language model's name where one did) and ``guide_version``.
    """
    records = [LabelRecord.from_dict(r) for r in post["labels"]]
    gold = {name: gold_record(records, name) for name in LABEL_NAMES}
    if not any(gold.values()):
        return None
    human_or_model = [r for r in records if r.origin in ("annotator", "adjudicated")]
    annotators = sorted({f"{r.by} ({r.agent}{': ' + r.agent_model if r.agent_model else ''})"
                         for r in human_or_model if r.origin == "annotator"})
    row: dict[str, Any] = {
        "post_id": post["post_id"], "thread_id": post["thread_id"], "source": post["source"], "split": split,
        "selection": selection or (EXTERNAL_SELECTION if not human_or_model else None), "batch": batch,
        "title": post["title"], "text": post["text"],
    }
    for name, record in gold.items():
        row[name] = record.value if record else None
    for name, record in gold.items():
        row[f"{name}_origin"] = record.origin if record else None
        row[f"{name}_by"] = record.by if record else None
    versions = sorted({r.guide_version for r in human_or_model if r.guide_version})
    row["annotators"] = annotators
    row["guide_version"] = ",".join(versions) or None
    return row


def external_and_annotated(records: Iterable[LabelRecord | Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    """Per label, the external dataset's value and the annotated gold value, where a post has both.

    The annotated value is the gold value among ``annotator`` and ``adjudicated`` records only (the
    gold policy applied without the external record), so it says what annotators working under
    the guide decided, and the pair says whether the external dataset agrees with them.

    Args:
        records: one post's label records.

    Returns:
        label -> (external value, annotated value), for each label that has both.
    """
    records = [r if isinstance(r, LabelRecord) else LabelRecord.from_dict(r) for r in records]
    external = [r for r in records if r.origin == LabelOrigin.EXTERNAL.value]
    annotated = [r for r in records if r.origin in (LabelOrigin.ANNOTATOR.value, LabelOrigin.ADJUDICATED.value)]
    out: dict[str, tuple[int, int]] = {}
    for name in LABEL_NAMES:
        theirs = gold_record(external, name)
        ours = gold_record(annotated, name)
        if theirs is not None and ours is not None:
            out[name] = (int(theirs.value), int(ours.value))
    return out


def external_agreement(pairs: Iterable[Mapping[str, tuple[int, int]]], *, n_boot: int = 1000,
                       seed: int = 0) -> dict[str, dict[str, Any]]:
    """How well an external dataset's mapped labels agree with the annotated gold values.

    Args:
        pairs: one mapping per post, as :func:`external_and_annotated` returns.
        n_boot: bootstrap resamples for the interval of kappa (0: none).
        seed: seed of the bootstrap.

    Returns:
        label -> ``posts``, ``both_positive``, ``external_only`` (the dataset says 1, the annotators 0),
        ``annotated_only`` (the reverse), ``both_negative``, ``kappa`` (Cohen's, None when undefined)
        and ``kappa_ci`` (95% percentile bootstrap over posts, or None); only labels with a pair.
    """
    from forum_anecdotes.annotation.agreement import bootstrap_interval, cohen_kappa

    by_label: dict[str, list[tuple[int, int]]] = {}
    for post in pairs:
        for name, pair in post.items():
            by_label.setdefault(name, []).append(pair)
    out: dict[str, dict[str, Any]] = {}
    for name in LABEL_NAMES:
        if name not in by_label:
            continue
        array = np.array(by_label[name], dtype=float)
        kappa = cohen_kappa(array)
        ci = bootstrap_interval(cohen_kappa, array, n_boot=n_boot, seed=seed) if n_boot and np.isfinite(kappa) else None
        ext, ann = array[:, 0] == 1, array[:, 1] == 1
        out[name] = {"posts": len(array), "both_positive": int((ext & ann).sum()), "external_only": int((ext & ~ann).sum()),
                     "annotated_only": int((~ext & ann).sum()), "both_negative": int((~ext & ~ann).sum()),
                     "kappa": float(kappa) if np.isfinite(kappa) else None,
                     "kappa_ci": [ci.low, ci.high] if ci is not None and np.isfinite(ci.low) else None}
    return out


def gold_features():
    """The ``datasets.Features`` of a gold row (:func:`gold_row`)."""
    import datasets

    string = datasets.Value("string")
    features = {"post_id": string, "thread_id": string, "source": string, "split": string, "selection": string,
                "batch": string,
                "title": string, "text": string}
    features |= {name: datasets.Value("int8") for name in LABEL_NAMES}
    for name in LABEL_NAMES:
        features |= {f"{name}_origin": string, f"{name}_by": string}
    features |= {"annotators": datasets.List(string), "guide_version": string}
    return datasets.Features(features)


def gold_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts for the report and the card: posts, positives and known values per label, by origin and selection."""
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        return {"posts": 0}
    out: dict[str, Any] = {"posts": int(len(frame)),
                           "by_source": {k: int(v) for k, v in frame["source"].value_counts().sort_index().items()},
                           "by_selection": {str(k): int(v) for k, v in frame["selection"].fillna("none").value_counts().sort_index().items()},
                           "by_batch": {str(k): int(v) for k, v in frame["batch"].fillna("none").value_counts().sort_index().items()},
                           "labels": {}}
    for name in LABEL_NAMES:
        known = frame[name].notna()
        out["labels"][name] = {
            "known": int(known.sum()), "positive": int((frame[name] == 1).sum()),
            "by_origin": {k: int(v) for k, v in frame.loc[known, f"{name}_origin"].value_counts().sort_index().items()},
        }
    return out
