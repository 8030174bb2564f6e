"""Task and answer records of the annotation workflow, defined once.

A **task** line (batch files, ``<batch>/<annotator>.jsonl``)::

    {"task_id": "b1-0007", "batch": "b1", "post_id": "rmhd-3fa...", "source": "rmhd",
     "selection": "random", "title": null, "text": "...",
     "parent": {"post_id": "...", "title": null, "text": "..."} | null,
     "opening": {"post_id": "...", "title": "...", "text": "..."} | null,
     "labels": ["effect_beneficial", ...], "guide_version": "1.0"}

``labels`` lists the labels the task asks, in contract order.

``parent`` is the post it replies to, ``opening`` the thread's first post (null when the task is
itself the first post). ``selection`` says how the post was chosen (:data:`SELECTIONS`).

An **answer** line (the answers file, append-only)::

    {"answer_id": "3f2c...", "task_id": "b1-0007", "post_id": "rmhd-3fa...", "batch": "b1",
     "annotator": "ann-1", "agent": "person", "agent_model": null, "guide_version": "1.0",
     "time": "2026-11-29T10:00:00Z", "labels": {"effect_beneficial": 0, ..., "first_hand": 1},
     "unclear": false, "note": ""}

or an **undo** line, which withdraws an earlier answer of the same annotator::

    {"answer_id": "...", "undo": "<answer_id withdrawn>", "annotator": "ann-1", "time": "..."}

An answer gives 0 or 1 for every label its task asks (``labels`` of the task: usually all five;
PsyTAR tasks ask only the two labels PsyTAR's own annotation lacks). The page starts each at 0 and
the annotator presses a key to set it. ``unclear`` flags a post the annotator could not judge under
the guide (its labels are then not used as gold, see the guide).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.schema import Agent

#: The version of ``annotation/GUIDELINES.md`` that answers are made under now. Bump it when the
#: guide changes what a label means; answers keep the version they were made under.
GUIDE_VERSION = "1.0"

#: How a task's post was chosen.
SELECTIONS: tuple[str, ...] = ("random", "stratified", "enriched_lexicon", "enriched_model", "thread_context", "psytar")

#: Agents that may give answers.
ANSWER_AGENTS: tuple[str, ...] = (Agent.PERSON.value, Agent.LANGUAGE_MODEL.value)


def utc_now() -> str:
    """The current time, ISO 8601 in UTC with seconds ("2026-11-29T10:00:00Z")."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_answer_id() -> str:
    """A fresh random answer id."""
    return uuid.uuid4().hex


@dataclasses.dataclass(frozen=True)
class Answer:
    """One annotator's labels for one task.

    Args:
        task_id: the task answered.
        post_id: the corpus post.
        batch: the batch the task came from.
        annotator: the annotator's id (a person's chosen name, or a language model run's id).
        agent: "person" or "language_model".
        agent_model: the language model's name (required for a language model, else None).
        guide_version: the guide version the answer was made under.
        time: when it was given, ISO 8601 UTC.
        labels: every contract label, 0 or 1.
        unclear: the annotator could not judge the post under the guide.
        note: free text.
        answer_id: a unique id (a fresh one by default).
    """

    task_id: str
    post_id: str
    batch: str
    annotator: str
    agent: str
    guide_version: str
    time: str
    labels: dict[str, int]
    agent_model: str | None = None
    unclear: bool = False
    note: str = ""
    answer_id: str = dataclasses.field(default_factory=new_answer_id)

    def __post_init__(self) -> None:
        problems = answer_problems(self.to_dict())
        if problems:
            raise ValueError("; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: Fields of an answer line and of an undo line.
ANSWER_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Answer))
UNDO_FIELDS: tuple[str, ...] = ("answer_id", "undo", "annotator", "time")


def asked_labels(task: dict[str, Any]) -> list[str]:
    """The labels a task asks, in contract order (all of them when the task does not say)."""
    asked = task.get("labels") or LABEL_NAMES
    return [name for name in LABEL_NAMES if name in asked]


def answer_problems(record: dict[str, Any]) -> list[str]:
    """What is wrong with one answer or undo record (empty when nothing is).

    Checks fields, types, the label names and values, and agent/agent_model. Whether the task
    exists, the guide version is current or an answer repeats another is for the validator, which
    knows the batch and the file.
    """
    if "undo" in record:
        missing = [f for f in UNDO_FIELDS if not isinstance(record.get(f), str) or not record.get(f)]
        unknown = sorted(set(record) - set(UNDO_FIELDS))
        return ([f"undo record: missing or empty {', '.join(missing)}"] if missing else []) + \
               ([f"undo record: unknown field(s) {', '.join(unknown)}"] if unknown else [])
    problems = []
    unknown = sorted(set(record) - set(ANSWER_FIELDS))
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}")
    for name in ("task_id", "post_id", "batch", "annotator", "agent", "guide_version", "time"):
        if not isinstance(record.get(name), str) or not record.get(name):
            problems.append(f"missing or empty {name}")
    if record.get("agent") not in (None, *ANSWER_AGENTS) and isinstance(record.get("agent"), str):
        problems.append(f"agent {record['agent']!r} is not one of {', '.join(ANSWER_AGENTS)}")
    if record.get("agent") == Agent.LANGUAGE_MODEL.value and not record.get("agent_model"):
        problems.append("agent_model must name the language model")
    if record.get("agent") == Agent.PERSON.value and record.get("agent_model"):
        problems.append("agent_model is only for language models")
    labels = record.get("labels")
    if not isinstance(labels, dict):
        problems.append("labels must be an object of label: 0 or 1")
    else:
        unknown_labels = sorted(set(labels) - set(LABEL_NAMES))
        if unknown_labels:
            problems.append(f"unknown label(s) {', '.join(unknown_labels)}; the labels are {', '.join(LABEL_NAMES)}")
        if not labels:
            problems.append("labels: answer at least one label")
        bad_values = [n for n, v in labels.items() if n in LABEL_NAMES and (isinstance(v, bool) or v not in (0, 1))]
        if bad_values:
            problems.append(f"label value(s) not 0 or 1: {', '.join(bad_values)}")
    if not isinstance(record.get("unclear", False), bool):
        problems.append("unclear must be true or false")
    if not isinstance(record.get("note", ""), str):
        problems.append("note must be text")
    return problems
