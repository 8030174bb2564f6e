"""Argilla 2.x: flat records to log into a dataset, and the dataset's flattened records back to answers.

Formats followed (Argilla 2.x Python SDK):

* **Records in**: ``dataset.records.log(records)`` takes dictionaries whose keys are the dataset's
  field, metadata and question names; ``"id"`` is the record id and ``"<question>.suggestion"``
  (with ``.agent`` and ``.score``) a suggestion ("Add, update, and delete records", From a generic
  data structure: https://docs.argilla.io/latest/how_to_guides/record/).
* **Records out**: ``dataset.records.to_list(flatten=True)`` gives one dictionary per record with
  ``"id"``, ``"status"``, ``"_server_id"``, the fields and metadata as top-level keys, and per
  question ``"<question>.responses"`` (one value per user), ``"<question>.responses.users"`` (the
  users' ids) and ``"<question>.responses.status"`` (``"submitted"``, ``"discarded"`` or
  ``"draft"``); a key a record lacks is None ("Importing and exporting datasets and records",
  Export records, To a python list:
  https://docs.argilla.io/latest/how_to_guides/import_export/; ``GenericIO._record_to_dict`` in
  ``argilla/records/_io/_generic.py``). A ``multi_label_selection`` response is the list of the
  selected label values ("rg.Response": https://docs.argilla.io/latest/reference/argilla/records/responses/).

The dataset (:func:`labeling_config`) has a ``text`` field with the post (plus optional ``title``,
``parent`` and ``opening`` fields for the thread), a ``labels`` question of type
``multi_label_selection`` over exactly the contract labels, a required ``unclear`` question
(``label_selection``: clear / unclear) and an optional ``note`` text question; the ids are metadata
(``task_id``, ``post_id``, ``batch``). The required ``unclear`` question is there because Argilla
stores an answer with nothing selected as no response at all: a submission with no label would
leave no trace in the export, while every submission must answer ``unclear``.

Mapping per user of a record: a ``submitted`` response is an answer (selected labels 1, others 0;
``unclear`` from its question; ``note`` from its question); ``discarded`` (the annotator set the
record aside) and ``draft`` (not submitted) give no answer and are counted in ``skipped``. The
annotator is the Argilla user id (map it with ``annotator_names``); the flat export has no response
times, so answers get the import time.
"""
from __future__ import annotations

import collections
import json
import os
from collections.abc import Iterable, Mapping
from typing import IO, Any

from forum_anecdotes.annotation.interop import common
from forum_anecdotes.annotation.records import GUIDE_VERSION, utc_now
from forum_anecdotes.labels import LABEL_NAMES, LABELS_BY_NAME

#: Tool name, part of answer ids.
TOOL = "argilla"

#: Question names of the dataset.
LABELS_QUESTION, UNCLEAR_QUESTION, NOTE_QUESTION = "labels", "unclear", "note"
#: Values of the ``unclear`` question.
CLEAR, UNCLEAR = "clear", "unclear"
#: Response statuses of Argilla 2.x.
STATUSES: tuple[str, ...] = ("submitted", "discarded", "draft")


def labeling_config() -> str:
    """The dataset settings, as JSON that names each ``rg.Settings`` part and its arguments.

    Build the dataset from it, e.g.::

        cfg = json.loads(labeling_config())
        settings = rg.Settings(
            guidelines=cfg["guidelines"],
            fields=[rg.TextField(**f) for f in cfg["fields"]],
            questions=[rg.MultiLabelQuestion(**cfg["questions"][0]), rg.LabelQuestion(**cfg["questions"][1]),
                       rg.TextQuestion(**cfg["questions"][2])],
            metadata=[rg.TermsMetadataProperty(**m) for m in cfg["metadata"]],
        )

    Returns:
        JSON text with ``guidelines``, ``fields``, ``questions`` (``labels``: the contract labels in
        contract order, value = label name, shown with its title) and ``metadata``.
    """
    config = {
        "guidelines": "Label each post under annotation/GUIDELINES.md. Select every label that applies "
                      "(none may apply); answer 'unclear' only when the post cannot be judged under the guide.",
        "fields": [
            {"name": "opening", "title": "Thread opening post", "required": False},
            {"name": "parent", "title": "Post it replies to", "required": False},
            {"name": "title", "title": "Title of the post", "required": False},
            {"name": "text", "title": "Post to label", "required": True},
        ],
        "questions": [
            {"name": LABELS_QUESTION, "title": "Which labels apply?", "required": False,
             "labels": {name: LABELS_BY_NAME[name].title for name in LABEL_NAMES},
             "description": "\n".join(f"{name}: {common.label_hint(name)}" for name in LABEL_NAMES)},
            {"name": UNCLEAR_QUESTION, "title": "Can you judge this post under the guide?", "required": True,
             "labels": {CLEAR: "Yes", UNCLEAR: "No, unclear (not used as gold)"}},
            {"name": NOTE_QUESTION, "title": "Note (optional)", "required": False},
        ],
        "metadata": [{"name": name, "visible_for_annotators": False} for name in common.ID_FIELDS],
    }
    return json.dumps(config, ensure_ascii=False, indent=2) + "\n"


def export_tasks(tasks: Iterable[Mapping[str, Any]], path_or_stream: str | os.PathLike | IO[str], *,
                 predictions: Mapping[str, Mapping[str, int]] | None = None,
                 model_version: str = "forum-anecdotes") -> int:
    """Write tasks as flat Argilla records, one JSON object per line, for ``dataset.records.log``.

    Each record is ``{"id": task_id, "text", "title", "parent", "opening", "task_id", "post_id",
    "batch"}`` (context None when the post has none); load it with
    ``dataset.records.log([json.loads(line) for line in open(path)])``.

    Args:
        tasks: task records; a task given more than once (one per annotator) is written once.
        path_or_stream: a file path (written atomically) or a text stream.
        predictions: optional suggestions, task_id -> {label: 0 or 1}, as ``"labels.suggestion"``.
        model_version: the suggestions' agent.

    Returns:
        The number of records written.
    """
    rows = []
    for task in common.unique_tasks(tasks):
        context = common.context_of(task)
        row: dict[str, Any] = {"id": task["task_id"], "text": task["text"], "title": context["title"] or None,
                               "parent": context["parent_text"] or None, "opening": context["opening_text"] or None,
                               **common.ids_of(task)}
        names = common.predicted_names(predictions, task["task_id"])
        if names is not None:
            row[f"{LABELS_QUESTION}.suggestion"] = names
            row[f"{LABELS_QUESTION}.suggestion.agent"] = model_version
        rows.append(row)
    with common.open_output(path_or_stream) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def _responses(record: Mapping[str, Any], where: str, line: int) -> dict[str, dict[str, Any]]:
    """Each user's responses to our questions and their status, users in order of appearance."""
    users: dict[str, dict[str, Any]] = {}
    for question in (LABELS_QUESTION, UNCLEAR_QUESTION, NOTE_QUESTION):
        key = f"{question}.responses"
        values, ids, statuses = record.get(key), record.get(f"{key}.users"), record.get(f"{key}.status")
        if values is None and ids is None:
            continue
        if not isinstance(values, list) or not isinstance(ids, list) or len(values) != len(ids):
            raise common.InteropError(where, line, f'"{key}" and "{key}.users" must be lists of the same length')
        # Without statuses a draft would pass for an answer, so they are required.
        if not isinstance(statuses, list) or len(statuses) != len(ids):
            raise common.InteropError(where, line, f'"{key}.status" must list one status per response')
        for value, user, status in zip(values, ids, statuses):
            if not isinstance(user, str) or not user:
                raise common.InteropError(where, line, f'a user id in "{key}.users" is missing')
            if status not in STATUSES:
                raise common.InteropError(where, line, f"response status {status!r} is not one of {', '.join(STATUSES)}")
            entry = users.setdefault(user, {"status": status})
            if entry["status"] != status:
                raise common.InteropError(where, line, f"user {user}'s responses have different statuses")
            entry[question] = value
    return users


def import_answers(path: str | os.PathLike, *, annotator: str | None = None, agent: str = "person",
                   agent_model: str | None = None, guide_version: str = GUIDE_VERSION,
                   annotator_names: Mapping[str, str] | None = None,
                   skipped: collections.Counter | None = None) -> list[dict[str, Any]]:
    """Read flattened Argilla records (``records.to_list(flatten=True)``) as answer records.

    Args:
        path: the records as a JSON array (``json.dump(dataset.records.to_list(flatten=True), f)``)
            or JSON Lines.
        annotator: unused by Argilla exports, whose responses always name their user; kept for the
            same signature as the other tools.
        agent: "person", or "language_model" for answers a model gave through Argilla.
        agent_model: the language model's name (only with agent "language_model").
        guide_version: the guide version the answers were made under.
        annotator_names: optional map from Argilla user ids to our annotator ids.
        skipped: a counter that gets "discarded" and "draft" responses.

    Returns:
        One answer per submitted user response, records in file order; every answer passes
        ``records.answer_problems``.

    Raises:
        ValueError: naming the file and line (the record's first line) of a record that is not a
            flattened Argilla record of our tasks.
    """
    common.check_agent(agent, agent_model)
    now = utc_now()
    where = str(path)
    answers = []
    for line, value in common.iter_json_records(path):
        record = common.require_object(value, where, line, "record")
        if isinstance(record.get("fields"), dict) or isinstance(record.get("responses"), dict):
            raise common.InteropError(where, line, "nested record: export with records.to_list(flatten=True)")
        ids = common.ids_from(record, where, line, what="the record's metadata")
        for user, entry in _responses(record, where, line).items():
            if entry["status"] != "submitted":
                common.count_skip(skipped, entry["status"])
                continue
            labels = common.labels_from(entry.get(LABELS_QUESTION), where, line, what=f'"{LABELS_QUESTION}.responses"')
            unclear_value = entry.get(UNCLEAR_QUESTION)
            if unclear_value not in (None, CLEAR, UNCLEAR):
                raise common.InteropError(where, line, f'"{UNCLEAR_QUESTION}" response {unclear_value!r} is not '
                                                       f"{CLEAR!r} or {UNCLEAR!r}")
            note = entry.get(NOTE_QUESTION) or ""
            if not isinstance(note, str):
                raise common.InteropError(where, line, f'"{NOTE_QUESTION}" response is not text')
            who = common.resolve_annotator(user, annotator, annotator_names, where, line)
            answers.append(common.build_answer(
                ids, annotator=who, labels=labels, time=now, agent=agent, agent_model=agent_model,
                guide_version=guide_version, unclear=unclear_value == UNCLEAR, note=note, tool=TOOL,
                tool_key=[record.get("_server_id") or record.get("id"), user], where=where, line=line))
    return answers
