"""The records and labels of the corpus, defined once and read by every stage.

Two record types:

* :class:`RawPost` is what a source importer yields: the source's own ids and the real author name,
  before anonymisation. It never leaves the build process.
* :class:`Post` is a published record: keyed ids, a pseudonymous author, coarsened dates and
  scrubbed text. Its fields are documented one by one in ``DATA_CARD.md``, and :data:`FEATURES`
  gives their types to Hugging Face ``datasets``.

Labels follow the contract in ``shared/spec/LABELS.md`` (version :data:`LABEL_CONTRACT_VERSION`).
A label is stored as a :class:`LabelRecord` that says where it came from. A label that nobody
has assigned is *absent*: "unknown" is never written as 0.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from typing import Any

LABEL_CONTRACT_VERSION = 1

#: The five post-level labels of the label contract, in its order.
LABEL_NAMES: tuple[str, ...] = (
    "effect_beneficial",
    "effect_adverse",
    "ssri_withdrawal",
    "abuse_harm",
    "first_hand",
)

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
PLACEHOLDER_KINDS: tuple[str, ...] = ("USER", "EMAIL", "URL", "PHONE", "IP", "ADDRESS", "NAME")

DELETED_AUTHOR = "[deleted]"


@dataclasses.dataclass(frozen=True)
class LabelRecord:
    """One label value with its provenance.

    Args:
        name: one of :data:`LABEL_NAMES`.
        value: 0 or 1.
        origin: a :class:`LabelOrigin` value.
        by: who or what set it: an annotator pseudonym, a rule id, or an external dataset's name.
        note: free text, e.g. how an external label was mapped.
    """

    name: str
    value: int
    origin: str
    by: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.name not in LABEL_NAMES:
            raise ValueError(f"unknown label {self.name!r}; the labels are {', '.join(LABEL_NAMES)}")
        if self.value not in (0, 1):
            raise ValueError(f"label {self.name}: value must be 0 or 1, not {self.value!r}")
        LabelOrigin(self.origin)  # raises on an unknown origin

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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
            "labels": datasets.List(
                {
                    "name": string,
                    "value": datasets.Value("int8"),
                    "origin": string,
                    "by": string,
                    "note": string,
                }
            ),
        }
    )
