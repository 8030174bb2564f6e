"""The tag table: what the analysis writes per post, the same from both engines.

:func:`tag_table` scores a chunk of prepared rows (:func:`.inputs.prepared_rows`) with a
:class:`~forum_anecdotes.models.tag.Tagger` and returns an Arrow table of :func:`tag_schema`. It is
the only code that turns posts into tags: the local engine calls it in its loop and the Ray
engine's actors call it in ``map_batches``, so both write the same Parquet columns and the same
values. The table holds no text: ids, month, group, substances, calibrated scores and labels.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from forum_anecdotes.ids import published_id
from forum_anecdotes.models.tag import PreparedPost, Tagger

#: ``corpus_source`` for inputs whose ids are the corpus's own published ids (e.g. a corpus split).
CORPUS_IDS = "corpus"


def corpus_id(native_id: str, *, corpus_source: str | None, key: bytes | None, public_ids: bool = False) -> str | None:
    """A post's id in the corpus, by the build's id rule (None without ``corpus_source``).

    Args:
        native_id: the input's id of the post.
        corpus_source: the corpus source whose native ids the input's ids are, or :data:`CORPUS_IDS`.
        key: the project's key (not needed for :data:`CORPUS_IDS` or public ids).
        public_ids: the source publishes its own ids.
    """
    if corpus_source is None:
        return None
    if corpus_source == CORPUS_IDS:
        return native_id
    if key is None and not public_ids:
        raise ValueError("matching posts to the corpus needs the project's key")
    return published_id(corpus_source, native_id, key=key or b"", public=public_ids)


def tag_schema(labels: Sequence[str]) -> pa.Schema:
    """The columns of a tag table, for a model with these labels.

    Args:
        labels: the model's labels, in order.

    Returns:
        ``id``, ``month`` (``YYYY-MM`` or null), ``group``, ``drugs``, ``drug_classes``,
        ``corpus_id`` (the post's id in the corpus when matched to one, for the gold comparison,
        else null), ``scores`` (a struct of calibrated probabilities) and ``labels`` (those over
        their thresholds).
    """
    return pa.schema([
        pa.field("id", pa.string(), nullable=False),
        pa.field("month", pa.string()),
        pa.field("group", pa.string()),
        pa.field("drugs", pa.list_(pa.string())),
        pa.field("drug_classes", pa.list_(pa.string())),
        pa.field("corpus_id", pa.string()),
        pa.field("scores", pa.struct([(label, pa.float64()) for label in labels])),
        pa.field("labels", pa.list_(pa.string())),
    ])


def tag_table(tagger: Tagger, rows: Sequence[dict[str, Any]], *, corpus_source: str | None = None,
              key: bytes | None = None, public_ids: bool = False) -> pa.Table:
    """Score prepared rows and return their tag table.

    Args:
        tagger: the loaded model (only its windows, model and thresholds are used: the rows are
            already through the per-post pipeline).
        rows: prepared rows (:data:`.inputs.PREPARED_FIELDS`), e.g. one chunk.
        corpus_source: the corpus source whose native ids the input's ids are (e.g.
            ``reddit_threads`` for Reddit submission ids): each row's ``corpus_id`` is then its
            published id by the build's id rule (:func:`corpus_id`), so that gold labels can be
            matched. None: no match.
        key: the project's pseudonymisation key (needed with ``corpus_source``).
        public_ids: the corpus source publishes its own ids (its catalogue entry's ``public_ids``).

    Returns:
        A table of :func:`tag_schema`, one row per input row, in order.
    """
    decisions = tagger.score([PreparedPost(record={}, text=row["text"]) for row in rows])
    columns = {
        "id": [row["id"] for row in rows],
        "month": [row["month"] for row in rows],
        "group": [row["group"] for row in rows],
        "drugs": [row["drugs"] for row in rows],
        "drug_classes": [row["drug_classes"] for row in rows],
        "corpus_id": [corpus_id(row["id"], corpus_source=corpus_source, key=key, public_ids=public_ids) for row in rows],
        "scores": [scores for scores, _ in decisions],
        "labels": [labels for _, labels in decisions],
    }
    return pa.Table.from_pydict(columns, schema=tag_schema(tagger.spec.labels))
