"""The records and labels of the corpus, defined once and read by every stage.

Two record types:

* :class:`RawPost` is what a source importer yields: the source's own ids and the real author name,
  before anonymisation. It never leaves the build process.
* :class:`Post` is a published record: keyed ids, a pseudonymous author, coarsened dates and
  scrubbed text. Its fields are documented one by one in ``DATA_CARD.md``, and :data:`FEATURES`
  gives their types to Hugging Face ``datasets``.

Labels are those of :mod:`forum_anecdotes.labels` (the contract ``shared/spec/LABELS.md``). A
label is stored as a :class:`LabelRecord` that says where it came from: which kind of agent made it
(a person, a language model, an external dataset, a rule or the classifier), who, under which guide
version, in which batch, when, and for model labels the model version and score. A label that
nobody has assigned is *absent*: "unknown" is never written as 0. :func:`gold_record` says which
record of a post counts as gold, and :func:`label_matrix` turns posts into values and a known-mask.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from enum import Enum
from typing import Any

import numpy as np

from forum_anecdotes.labels import LABEL_CONTRACT_VERSION, LABEL_NAMES  # noqa: F401  (re-exported)

#: The published splits, in order.
SPLITS: tuple[str, ...] = ("train", "validation", "test")


class LabelOrigin(str, Enum):
    """Where a label value came from."""

    EXTERNAL = "external"  #: an external dataset's annotation, mapped onto the contract
    ANNOTATOR = "annotator"  #: one human annotator, not adjudicated
    ADJUDICATED = "adjudicated"  #: human gold after adjudication
    RULE = "rule"  #: an automatic rule (never gold)
    MODEL = "model"  #: a classifier's prediction (never gold)


class Publish(str, Enum):
    """What a source's terms allow the project to publish."""

    FULL_TEXT = "full_text"  #: anonymised text and all fields
    IDS_AND_LABELS = "ids_and_labels"  #: ids, metadata and labels; the text is withheld
    NOTHING = "nothing"  #: may be used locally, never published


class Selection(str, Enum):
    """Why a post is in the corpus (see "Relevance" in DATA_CARD.md)."""

    SUBSTANCE_MENTION = "substance_mention"  #: the post mentions a substance
    THREAD_CONTEXT = "thread_context"  #: another post of its thread mentions one
    NEGATIVE_SAMPLE = "negative_sample"  #: sampled from threads that mention none


#: Kinds of identifier the anonymiser replaces, and the placeholder each becomes.
PLACEHOLDER_KINDS: tuple[str, ...] = ("USER", "EMAIL", "URL", "PHONE", "IP", "ADDRESS", "NAME", "PLACE")

DELETED_AUTHOR = "[deleted]"


class Agent(str, Enum):
    """What kind of agent made a label."""

    PERSON = "person"  #: a human annotator or adjudicator
    LANGUAGE_MODEL = "language_model"  #: a large language model used as an annotator (its name in ``agent_model``)
    DATASET = "dataset"  #: the annotators of an external dataset, through its published labels
    RULE = "rule"  #: an automatic rule, e.g. majority vote or a lexicon rule
    CLASSIFIER = "classifier"  #: this project's classifier


#: Which agents may make a label of each origin.
_AGENTS_BY_ORIGIN: dict[str, frozenset[str]] = {
    LabelOrigin.EXTERNAL.value: frozenset({Agent.DATASET.value}),
    LabelOrigin.ANNOTATOR.value: frozenset({Agent.PERSON.value, Agent.LANGUAGE_MODEL.value}),
    # majority vote over annotators is a rule; a person or a language model may adjudicate a tie
    LabelOrigin.ADJUDICATED.value: frozenset({Agent.PERSON.value, Agent.LANGUAGE_MODEL.value, Agent.RULE.value}),
    LabelOrigin.RULE.value: frozenset({Agent.RULE.value}),
    LabelOrigin.MODEL.value: frozenset({Agent.CLASSIFIER.value}),
}

#: Gold policy: which origin wins when a post has labels of several (lower is better). Rule and
#: model labels are never gold.
GOLD_PRIORITY: dict[str, int] = {
    LabelOrigin.ADJUDICATED.value: 0,
    LabelOrigin.ANNOTATOR.value: 1,
    LabelOrigin.EXTERNAL.value: 2,
}


@dataclasses.dataclass(frozen=True)
class LabelRecord:
    """One label value with its full provenance.

    Args:
        name: one of :data:`~forum_anecdotes.labels.LABEL_NAMES`.
        value: 0 or 1.
        origin: a :class:`LabelOrigin` value.
        by: who or what set it: an annotator's id, a rule id, an external dataset's name, a model name.
        agent: a :class:`Agent` value; it must fit the origin (an annotator is a person or a
            language model, an external label comes from a dataset, a model label from the classifier).
        agent_model: the language model's name, required when ``agent`` is ``language_model``.
        guide_version: the annotation guide version the label was made under (annotator and
            adjudicated labels).
        batch: the annotation batch it was made in.
        time: when it was made, ISO 8601 in UTC.
        model_version: the classifier's version (model labels).
        score: the classifier's calibrated probability (model labels).
        note: free text, e.g. how an external label was mapped.
    """

    name: str
    value: int
    origin: str
    by: str
    agent: str
    agent_model: str | None = None
    guide_version: str | None = None
    batch: str | None = None
    time: str | None = None
    model_version: str | None = None
    score: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.name not in LABEL_NAMES:
            raise ValueError(f"unknown label {self.name!r}; the labels are {', '.join(LABEL_NAMES)}")
        if isinstance(self.value, bool) or self.value not in (0, 1):
            raise ValueError(f"label {self.name}: value must be 0 or 1, not {self.value!r}")
        origin = LabelOrigin(self.origin).value  # raises on an unknown origin
        agent = Agent(self.agent).value
        if agent not in _AGENTS_BY_ORIGIN[origin]:
            raise ValueError(f"label {self.name}: a {origin} label cannot be made by a {agent}")
        if not self.by:
            raise ValueError(f"label {self.name}: `by` must say who or what made it")
        if (agent == Agent.LANGUAGE_MODEL.value) != bool(self.agent_model):
            raise ValueError(f"label {self.name}: agent_model names the language model, and only for agent language_model")
        if origin == LabelOrigin.MODEL.value and (self.model_version is None or self.score is None):
            raise ValueError(f"label {self.name}: a model label needs model_version and score")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LabelRecord":
        """A record from its dict form (as published), checking every field.

        Raises:
            ValueError: for an unknown field or a value that breaks the rules above.
        """
        unknown = set(data) - set(LABEL_RECORD_FIELDS)
        if unknown:
            raise ValueError(f"unknown label record field(s): {', '.join(sorted(unknown))}")
        try:
            return cls(**data)
        except TypeError as e:  # a missing required field
            raise ValueError(str(e).replace("__init__() ", "label record ")) from None

    @property
    def is_gold_candidate(self) -> bool:
        """Whether this record may be gold at all (rule and model labels never are)."""
        return self.origin in GOLD_PRIORITY


#: Field order of a label record.
LABEL_RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(LabelRecord))


def gold_record(records: Iterable[LabelRecord | dict[str, Any]], name: str) -> LabelRecord | None:
    """The record that counts as gold for label ``name`` of one post, or None when it is unknown.

    Gold policy: an adjudicated label wins over annotator labels, which win over an external
    dataset's label. Several annotator labels count only when they agree (a disagreement without
    adjudication is unknown, not a guess); among several adjudicated labels the latest wins. Rule
    and model labels are never gold.

    Args:
        records: the post's label records (objects or their dicts).
        name: the label.

    Returns:
        The winning record, or None.
    """
    candidates = [r if isinstance(r, LabelRecord) else LabelRecord.from_dict(r) for r in records]
    candidates = [r for r in candidates if r.name == name and r.is_gold_candidate]
    if not candidates:
        return None
    best = min(GOLD_PRIORITY[r.origin] for r in candidates)
    tier = [r for r in candidates if GOLD_PRIORITY[r.origin] == best]
    if tier[0].origin == LabelOrigin.ADJUDICATED.value:
        return max(tier, key=lambda r: r.time or "")
    if len({r.value for r in tier}) > 1:
        return None
    return tier[0]


def label_matrix(
    posts_labels: Iterable[Iterable[LabelRecord | dict[str, Any]]], *, names: tuple[str, ...] = LABEL_NAMES
) -> tuple[np.ndarray, np.ndarray]:
    """Gold values of many posts as arrays, keeping "unknown" apart from 0.

    Args:
        posts_labels: for each post, its label records (e.g. the ``labels`` column of the corpus).
        names: the label columns, in order.

    Returns:
        ``(values, known)``: ``values`` is an int8 array (posts x labels) with the gold value where
        known and 0 elsewhere; ``known`` is a bool array of the same shape, True where a gold
        value exists. Always use ``known`` to mask ``values``.
    """
    rows_values, rows_known = [], []
    for records in posts_labels:
        records = list(records)
        gold = [gold_record(records, name) for name in names]
        rows_values.append([g.value if g is not None else 0 for g in gold])
        rows_known.append([g is not None for g in gold])
    values = np.array(rows_values, dtype=np.int8).reshape(-1, len(names))
    known = np.array(rows_known, dtype=bool).reshape(-1, len(names))
    return values, known


@dataclasses.dataclass(frozen=True)
class Origin:
    """Where a raw record was read: used in every error message about it."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclasses.dataclass
class RawPost:
    """A post as a source importer yields it, before anonymisation.

    Ids are the source's own (``native_id``); the build turns them into published ids. The author
    is the real name or handle, which never leaves the build.

    Args:
        source: the source name (a key of the source catalogue).
        native_id: the post's id within the source, unique there.
        thread_native_id: the id of the thread it belongs to (its own id for a one-post thread).
        parent_native_id: the id of the post it replies to, or None for a thread's first post.
        author: real author name or handle; None when the source has none.
        created: when it was posted (UTC), or None.
        title: the thread or post title, if any.
        text: the post body.
        community: the forum, subreddit or site it comes from.
        origin: file and line it was read from.
        order: tie-breaker for ordering posts of a thread that share a timestamp (source order).
        age: the writer's age when the source records it (coarsened to a band on publication).
        labels: labels the source itself carries, mapped onto the contract.
        context_names: names of people in the thread known to the importer (e.g. all authors of
            a forum thread read as one document), which the anonymiser must replace in text.
        subject_drugs: substances the source says the post is about (e.g. the drug a review is
            filed under), whether or not the text names them.
    """

    source: str
    native_id: str
    thread_native_id: str
    parent_native_id: str | None
    author: str | None
    created: dt.datetime | None
    title: str | None
    text: str
    community: str
    origin: Origin
    order: int = 0
    age: int | None = None
    labels: tuple[LabelRecord, ...] = ()
    context_names: tuple[str, ...] = ()
    subject_drugs: tuple[str, ...] = ()


@dataclasses.dataclass
class Post:
    """A published corpus record. DATA_CARD.md documents each field."""

    post_id: str
    thread_id: str
    parent_id: str | None
    position: int
    source: str
    community: str
    author: str | None
    created: str | None
    title: str | None
    text: str | None
    drugs: list[str]
    drug_classes: list[str]
    selection: str
    age_band: str | None
    labels: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        # A shallow copy: the fields are plain values already, and asdict's deep copy is the
        # slowest step of a build.
        return {name: getattr(self, name) for name in POST_FIELDS}


#: Field order of a published record.
POST_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Post))


def features():
    """The ``datasets.Features`` of a published record.

    Returns:
        datasets.Features with one entry per field of :class:`Post`.
    """
    import datasets  # imported here so that the schema stays importable without it

    string = datasets.Value("string")
    return datasets.Features(
        {
            "post_id": string,
            "thread_id": string,
            "parent_id": string,
            "position": datasets.Value("int32"),
            "source": string,
            "community": string,
            "author": string,
            "created": string,
            "title": string,
            "text": string,
            "drugs": datasets.List(string),
            "drug_classes": datasets.List(string),
            "selection": string,
            "age_band": string,
            "labels": datasets.List(label_record_features()),
        }
    )


def label_record_features() -> dict:
    """The ``datasets`` feature of one :class:`LabelRecord` (the items of a post's ``labels``)."""
    import datasets

    string = datasets.Value("string")
    return {
        "name": string,
        "value": datasets.Value("int8"),
        "origin": string,
        "by": string,
        "agent": string,
        "agent_model": string,
        "guide_version": string,
        "batch": string,
        "time": string,
        "model_version": string,
        "score": datasets.Value("float32"),
        "note": string,
    }
