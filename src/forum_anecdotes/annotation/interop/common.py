"""What the annotation-tool modules share: reading exports with exact locations, task checks, answers.

Every tool module turns our task records into the tool's import format and the tool's export back
into answer records of :mod:`forum_anecdotes.annotation.records`. The parts that do not depend on the
tool live here, so that the four modules treat locations, times, annotators and label names alike:

* a problem in a file is an :class:`InteropError` (a ``ValueError``) that names the file and line;
* every answer is built through :func:`build_answer`, which checks it with ``records.answer_problems``
  (through :class:`~forum_anecdotes.annotation.records.Answer`) before it is returned;
* answer ids are derived from the tool's own record of the annotation (:func:`stable_answer_id`), so
  importing the same export twice gives the same ids and the validator can see the repeat.
"""
from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from forum_anecdotes.annotation.records import ANSWER_AGENTS, Answer
from forum_anecdotes.io import BadInput, atomic_write
from forum_anecdotes.labels import LABEL_NAMES, LABELS_BY_NAME
from forum_anecdotes.schema import Agent

#: Fields that every exported task carries into the tool and back, in the tool's metadata field.
ID_FIELDS: tuple[str, ...] = ("task_id", "post_id", "batch")

#: Namespace of the answer ids made from tool exports (fixed, so ids are stable across runs).
_ANSWER_ID_NAMESPACE = uuid.UUID("6f1d3c2e-6a51-4d2b-9a57-0c1e5b0f7a11")


class InteropError(BadInput, ValueError):
    """A tool file that cannot be read as the tool's documented format.

    The project's bad-input error (file, line, reason; for a member of a zip archive the file is
    ``archive.zip!member``), and a ``ValueError`` for callers that catch those.
    """


# ---------------------------------------------------------------------------------------------
# tasks


def unique_tasks(tasks: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The tasks to export, checked and with repeats of a task removed.

    A batch gives the same task to several annotators (one file each), and a tool holds one item per
    post with one annotation per user, so a task that comes again is exported once.

    Args:
        tasks: task records (``records`` module docstring).

    Returns:
        The tasks in their first order, each once.

    Raises:
        ValueError: naming the task, for a task without its ids or text, or for two different
            tasks under one task_id.
    """
    seen: dict[str, dict[str, Any]] = {}
    for n, task in enumerate(tasks, 1):
        if not isinstance(task, Mapping):
            raise ValueError(f"task {n}: not an object")  # noqa: TRY004 (bad input, as the other checks)
        for name in ID_FIELDS:
            if not isinstance(task.get(name), str) or not task.get(name):
                raise ValueError(f"task {n} ({task.get('task_id')!r}): missing or empty {name}")
        if not isinstance(task.get("text"), str):
            raise ValueError(f"task {task['task_id']!r}: missing text")  # noqa: TRY004 (bad input)
        earlier = seen.get(task["task_id"])
        if earlier is None:
            seen[task["task_id"]] = dict(task)
        elif (earlier["post_id"], earlier["batch"], earlier["text"]) != (task["post_id"], task["batch"], task["text"]):
            raise ValueError(f"task {task['task_id']!r} is given twice with different posts or batches")
    return list(seen.values())


def ids_of(task: Mapping[str, Any]) -> dict[str, str]:
    """The id fields of a task, for the tool's metadata field."""
    return {name: task[name] for name in ID_FIELDS}


def context_of(task: Mapping[str, Any]) -> dict[str, str]:
    """The title and thread context of a task as plain strings ("" where there is none).

    Tools show a missing value badly (Label Studio warns about a missing ``$key``), so every task
    carries every context key.

    Returns:
        ``{"title", "parent_text", "opening_text"}``; the parent's and opening post's texts include
        their titles on a first line when they have one.
    """
    def post(value: Any) -> str:
        if not isinstance(value, Mapping):
            return ""
        title, text = value.get("title") or "", value.get("text") or ""
        return f"{title}\n\n{text}" if title else text

    return {"title": task.get("title") or "", "parent_text": post(task.get("parent")),
            "opening_text": post(task.get("opening"))}


def predicted_names(predictions: Mapping[str, Mapping[str, int]] | None, task_id: str) -> list[str] | None:
    """The labels predicted 1 for a task, in contract order, or None when there is no prediction.

    Raises:
        ValueError: for an unknown label name or a value other than 0 or 1.
    """
    if not predictions or task_id not in predictions:
        return None
    labels = predictions[task_id]
    unknown = sorted(set(labels) - set(LABEL_NAMES))
    if unknown:
        raise ValueError(f"prediction for {task_id!r}: unknown label(s) {', '.join(unknown)}")
    if any(isinstance(v, bool) or v not in (0, 1) for v in labels.values()):
        raise ValueError(f"prediction for {task_id!r}: label values must be 0 or 1")
    return [name for name in LABEL_NAMES if labels.get(name) == 1]


def label_hint(name: str) -> str:
    """A one-line description of a label for a tool's tooltip: title, then when it is 1."""
    label = LABELS_BY_NAME[name]
    return f"{label.title}: {label.positive}"


# ---------------------------------------------------------------------------------------------
# writing


@contextlib.contextmanager
def open_output(path_or_stream: str | os.PathLike | IO[str]):
    """A text stream to write an export to: the stream given, or the path written atomically.

    A path is written through :func:`forum_anecdotes.io.atomic_write`, so an error half-way leaves
    no half-written import file for someone to upload.
    """
    if hasattr(path_or_stream, "write"):
        yield path_or_stream
    else:
        with atomic_write(path_or_stream) as f:
            yield f


# ---------------------------------------------------------------------------------------------
# reading


def _decode(data: bytes, where: str, line: int) -> str:
    try:
        return data.decode("utf-8-sig" if line == 1 else "utf-8")
    except UnicodeDecodeError as e:
        raise InteropError(where, line, f"not valid UTF-8 (byte {e.start + 1} of the line)") from None


def iter_json_lines(data: bytes, where: str) -> Iterator[tuple[int, Any]]:
    """The JSON value on each non-blank line of ``data``, with its line number.

    Raises:
        InteropError: naming the line, for a line that is not UTF-8 or not JSON.
    """
    for n, raw in enumerate(data.split(b"\n"), 1):
        text = _decode(raw, where, n).strip()
        if not text:
            continue
        try:
            yield n, json.loads(text)
        except json.JSONDecodeError as e:
            raise InteropError(where, n, f"not valid JSON: {e.msg} (column {e.colno})") from None


def iter_json_array(data: bytes, where: str) -> Iterator[tuple[int, Any]]:
    """The items of a JSON array with the line each starts on (a single object counts as one item).

    Tools export JSON arrays (Label Studio, Argilla's ``to_list``); the line of each item lets an
    error name the place to look, as for JSON Lines.

    Raises:
        InteropError: naming the line, for bad UTF-8, bad JSON, or a top level that is not an array.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InteropError(where, data.count(b"\n", 0, e.start) + 1, "not valid UTF-8") from None
    decoder = json.JSONDecoder()

    def skip_ws(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    def line_at(i: int) -> int:
        return text.count("\n", 0, i) + 1

    def decode_at(i: int) -> tuple[Any, int]:
        try:
            return decoder.raw_decode(text, i)
        except json.JSONDecodeError as e:
            raise InteropError(where, e.lineno, f"not valid JSON: {e.msg} (column {e.colno})") from None

    i = skip_ws(0)
    if i == len(text):
        return
    if text[i] == "{":
        value, end = decode_at(i)
        if skip_ws(end) != len(text):
            raise InteropError(where, line_at(skip_ws(end)), "text after the JSON object")
        yield line_at(i), value
        return
    if text[i] != "[":
        raise InteropError(where, line_at(i), "expected a JSON array")
    i = skip_ws(i + 1)
    if i < len(text) and text[i] == "]":
        i = skip_ws(i + 1)
    else:
        while True:
            if i == len(text):
                raise InteropError(where, line_at(i), "not valid JSON: unterminated array")
            value, end = decode_at(i)
            yield line_at(i), value
            i = skip_ws(end)
            if i < len(text) and text[i] == ",":
                i = skip_ws(i + 1)
                continue
            if i < len(text) and text[i] == "]":
                i = skip_ws(i + 1)
                break
            raise InteropError(where, line_at(i), "not valid JSON: expected ',' or ']' after an array item")
    if i != len(text):
        raise InteropError(where, line_at(i), "text after the JSON array")


def iter_json_records(path: str | os.PathLike) -> Iterator[tuple[int, Any]]:
    """The records of a JSON array file or a JSON Lines file (whichever ``path`` holds), with lines.

    Raises:
        InteropError: naming the file and line of a problem.
    """
    data = Path(path).read_bytes()
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"[":
        yield from iter_json_array(data, str(path))
    else:
        yield from iter_json_lines(data, str(path))


def require_object(value: Any, where: str, line: int, what: str = "record") -> dict[str, Any]:
    """``value`` if it is a JSON object, else an :class:`InteropError` naming the line."""
    if not isinstance(value, dict):
        raise InteropError(where, line, f"{what} is not a JSON object")
    return value


def ids_from(record: Mapping[str, Any], where: str, line: int, *, what: str) -> dict[str, str]:
    """The task ids kept in a tool's metadata field (``what`` names the field in errors).

    Raises:
        InteropError: naming the line, for a missing or empty id (the item did not come from
            :func:`export_tasks`, or the tool dropped its metadata).
    """
    out = {}
    for name in ID_FIELDS:
        value = record.get(name)
        if not isinstance(value, str) or not value:
            raise InteropError(where, line, f"missing or empty {name} in {what} (export the tasks with this module)")
        out[name] = value
    return out


# ---------------------------------------------------------------------------------------------
# answers


def check_agent(agent: str, agent_model: str | None) -> None:
    """Reject an agent the answer contract does not allow, before reading a file.

    Raises:
        ValueError: for an unknown agent, a language model without its name, or a person with one.
    """
    if agent not in ANSWER_AGENTS:
        raise ValueError(f"agent {agent!r} is not one of {', '.join(ANSWER_AGENTS)}")
    if agent == Agent.LANGUAGE_MODEL.value and not agent_model:
        raise ValueError("agent_model must name the language model")
    if agent == Agent.PERSON.value and agent_model:
        raise ValueError("agent_model is only for language models")


def utc_seconds(value: Any, where: str, line: int) -> str:
    """A tool's timestamp as ISO 8601 UTC with seconds ("2026-11-29T10:00:00Z").

    Accepts ISO 8601 text (with "Z", an offset, or none, read as UTC as the tools write UTC) and
    Unix seconds (Prodigy's ``_timestamp``).

    Raises:
        InteropError: naming the line, for anything else.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = dt.datetime.fromtimestamp(value, dt.UTC)
    elif isinstance(value, str) and value:
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InteropError(where, line, f"timestamp {value!r} is not ISO 8601") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
    else:
        raise InteropError(where, line, f"timestamp {value!r} is neither ISO 8601 text nor Unix seconds")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_annotator(tool_value: Any, default: str | None, names: Mapping[str, str] | None,
                      where: str, line: int) -> str:
    """The annotator of an answer: the tool's user field, else the default given.

    Args:
        tool_value: the tool's annotator/user value for the annotation (None when it has none).
        default: the ``annotator`` keyword of the import.
        names: optional map from the tool's user ids to our annotator ids (tools export numeric or
            UUID user ids; the map keeps the answers file readable).
        where, line: the location, for errors.

    Raises:
        InteropError: when neither the tool nor the caller names the annotator.
    """
    value = None if tool_value is None or tool_value == "" else str(tool_value)
    if value is None:
        value = default
    if not value:
        raise InteropError(where, line, "the annotation names no annotator; pass annotator=")
    if names and value in names:
        value = names[value]
    return value


def labels_from(names: Any, where: str, line: int, *, what: str = "labels") -> dict[str, int]:
    """Every contract label 0 or 1 from the names a tool selected (present = 1, absent = 0).

    Raises:
        InteropError: naming the line, for a value that is not a list of names or an unknown name.
    """
    if names is None:
        names = []
    if isinstance(names, str) or not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InteropError(where, line, f"{what} must be a list of label names")
    unknown = sorted(set(names) - set(LABEL_NAMES))
    if unknown:
        raise InteropError(where, line, f"unknown label(s) {', '.join(unknown)} in {what}; "
                                        f"the labels are {', '.join(LABEL_NAMES)}")
    chosen = set(names)
    return {name: int(name in chosen) for name in LABEL_NAMES}


def stable_answer_id(tool: str, tool_key: Any, annotator: str, task_id: str, labels: Mapping[str, int],
                     unclear: bool, note: str) -> str:
    """An answer id that depends only on the tool's annotation and what it says.

    Importing the same export again gives the same ids, so the append-only answers file can show a
    repeated import instead of silently doubling answers; a changed annotation gets a new id.
    """
    key = json.dumps([tool, tool_key, annotator, task_id, dict(sorted(labels.items())), unclear, note],
                     sort_keys=True, ensure_ascii=False, default=str)
    return uuid.uuid5(_ANSWER_ID_NAMESPACE, key).hex


def build_answer(ids: Mapping[str, str], *, annotator: str, labels: Mapping[str, int], time: str,
                 agent: str, agent_model: str | None, guide_version: str, unclear: bool = False,
                 note: str = "", tool: str, tool_key: Any, where: str, line: int) -> dict[str, Any]:
    """One answer record, checked against the answer contract.

    Returns:
        The answer as a dict (``Answer.to_dict()``), which passes ``records.answer_problems``.

    Raises:
        InteropError: naming the line, for an answer the contract rejects.
    """
    try:
        answer = Answer(task_id=ids["task_id"], post_id=ids["post_id"], batch=ids["batch"], annotator=annotator,
                        agent=agent, agent_model=agent_model, guide_version=guide_version, time=time,
                        labels=dict(labels), unclear=unclear, note=note,
                        answer_id=stable_answer_id(tool, tool_key, annotator, ids["task_id"], labels, unclear, note))
    except ValueError as e:
        raise InteropError(where, line, f"not a valid answer: {e}") from None
    return answer.to_dict()


def count_skip(skipped: collections.Counter | None, reason: str) -> None:
    """Count an annotation passed over on purpose (nothing is dropped without a count)."""
    if skipped is not None:
        skipped[reason] += 1
