"""Prodigy: ``choice`` tasks with multiple selection, and Prodigy's ``db-out`` JSONL back to answers.

Formats followed (Prodigy 1.x, "Annotation interfaces" and "Recipes" pages of the documentation):

* **Tasks** for the ``choice`` interface: ``{"text": ..., "options": [{"id": ..., "text": ...}],
  "meta": {...}}``; ``"choice_style": "multiple"`` lets the annotator select several options, and
  the selected option ids come back in ``"accept"`` (https://prodi.gy/docs/api-interfaces#choice).
  ``meta`` is shown in the corner of the card and kept in the annotations. A task's own ``"config"``
  overrides the recipe's for that task, so every task also carries ``{"choice_style": "multiple"}``
  and serves correctly from ``prodigy mark <dataset> tasks.jsonl --view-id choice``.
* **Annotations** from ``prodigy db-out <dataset>`` (https://prodi.gy/docs/recipes#db-out): the task
  plus ``"answer"`` (``"accept"``, ``"reject"`` or ``"ignore"``), ``"accept"`` (the selected
  option ids), ``"_input_hash"``, ``"_task_hash"``, ``"_view_id"``, ``"_timestamp"`` (Unix seconds)
  and, with named multi-user sessions, ``"_session_id"`` / ``"_annotator_id"``
  (``"<dataset>-<session name>"``; https://prodi.gy/docs/api-interfaces, "Annotated tasks contain
  an additional answer key"; https://prodi.gy/docs/task-routing for sessions).

What the three answers mean here:

* ``accept``: an answer; the options in ``"accept"`` are 1, the others 0 (accepting with nothing
  selected says no label applies).
* ``reject``: the annotator refuses the post. Our guide has one way to do that, ``unclear``: the
  post cannot be judged under the guide. So a reject is an answer with ``unclear: true`` and the
  labels selected, if any (usually none); unclear answers are not used as gold.
* ``ignore``: the annotator skipped the post. It is no answer (the post stays open for them), and it
  is counted as "ignore" in ``skipped``.

The annotator is ``_annotator_id`` (else ``_session_id``, else the ``annotator`` keyword); map the
``"<dataset>-<name>"`` ids to our annotator ids with ``annotator_names``. The time is
``_timestamp``, else the import time.
"""
from __future__ import annotations

import collections
import html
import json
import os
from collections.abc import Iterable, Mapping
from typing import IO, Any

from forum_anecdotes.annotation.interop import common
from forum_anecdotes.annotation.records import GUIDE_VERSION, utc_now
from forum_anecdotes.labels import LABEL_NAMES, LABELS_BY_NAME

#: Tool name, part of answer ids.
TOOL = "prodigy"

#: Prodigy's answers.
ANSWERS: tuple[str, ...] = ("accept", "reject", "ignore")


def options() -> list[dict[str, str]]:
    """The choice options: one per contract label, in contract order, id = label name."""
    return [{"id": name, "text": LABELS_BY_NAME[name].title} for name in LABEL_NAMES]


def labeling_config() -> str:
    """The Prodigy settings for these tasks (``prodigy.json``, or a custom recipe's ``"config"``).

    Returns:
        JSON text: multiple choice, no auto-accept (several labels may apply), and the three answer
        buttons, whose meaning is in this module's docstring.
    """
    config = {"choice_style": "multiple", "choice_auto_accept": False, "buttons": list(ANSWERS)}
    return json.dumps(config, indent=2) + "\n"


def _html(task: Mapping[str, Any], context: Mapping[str, str]) -> str:
    """The card's content: the thread context above the post, escaped (posts are plain text)."""
    def block(heading: str, text: str, style: str) -> str:
        return (f'<div style="{style}"><div style="font-size: 0.8em; color: #666">{heading}</div>'
                f'<div style="white-space: pre-wrap">{html.escape(text)}</div></div>')

    parts = []
    muted = "background: #f4f4f4; padding: 6px 10px; margin-bottom: 10px; font-size: 0.9em; text-align: left"
    if context["opening_text"]:
        parts.append(block("Thread opening post", context["opening_text"], muted))
    if context["parent_text"]:
        parts.append(block("Post it replies to", context["parent_text"], muted))
    post = f"{context['title']}\n\n{task['text']}" if context["title"] else task["text"]
    parts.append(block("Post to label", post, "text-align: left"))
    return "".join(parts)


def export_tasks(tasks: Iterable[Mapping[str, Any]], path_or_stream: str | os.PathLike | IO[str], *,
                 predictions: Mapping[str, Mapping[str, int]] | None = None) -> int:
    """Write tasks as Prodigy ``choice`` tasks (JSONL).

    Each line is ``{"text", "html", "options", "meta": {"task_id", "post_id", "batch"}, "config":
    {"choice_style": "multiple"}}``; ``html`` shows the thread context above the post (``text`` alone
    cannot show it), ``text`` is the post itself.

    Args:
        tasks: task records; a task given more than once (one per annotator) is written once.
        path_or_stream: a file path (written atomically) or a text stream.
        predictions: optional pre-selections, task_id -> {label: 0 or 1}, written as ``"accept"``
            (Prodigy shows them selected).

    Returns:
        The number of tasks written.
    """
    rows = []
    for task in common.unique_tasks(tasks):
        row: dict[str, Any] = {"text": task["text"], "html": _html(task, common.context_of(task)),
                               "options": options(), "meta": common.ids_of(task),
                               "config": {"choice_style": "multiple"}}
        names = common.predicted_names(predictions, task["task_id"])
        if names is not None:
            row["accept"] = names
        rows.append(row)
    with common.open_output(path_or_stream) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def import_answers(path: str | os.PathLike, *, annotator: str | None = None, agent: str = "person",
                   agent_model: str | None = None, guide_version: str = GUIDE_VERSION,
                   annotator_names: Mapping[str, str] | None = None,
                   skipped: collections.Counter | None = None) -> list[dict[str, Any]]:
    """Read ``prodigy db-out`` JSONL as answer records (accept: answer; reject: unclear; ignore: none).

    Args:
        path: the JSONL that ``prodigy db-out <dataset>`` wrote.
        annotator: the annotator when a line has no ``_annotator_id`` or ``_session_id``.
        agent: "person", or "language_model" for answers a model gave through Prodigy.
        agent_model: the language model's name (only with agent "language_model").
        guide_version: the guide version the answers were made under.
        annotator_names: optional map from Prodigy annotator/session ids to our annotator ids.
        skipped: a counter that gets one "ignore" per ignored task.

    Returns:
        One answer per accepted or rejected task, in file order; every answer passes
        ``records.answer_problems``.

    Raises:
        ValueError: naming the file and line of a line that is not a Prodigy annotation of our tasks
            (bad JSON, no answer, no ``meta`` ids, an option that is not a contract label).
    """
    common.check_agent(agent, agent_model)
    now = utc_now()
    where = str(path)
    answers = []
    for line, value in common.iter_json_records(path):
        record = common.require_object(value, where, line, "line")
        answer = record.get("answer")
        if answer not in ANSWERS:
            raise common.InteropError(where, line, f'"answer" is {answer!r}, not one of {", ".join(ANSWERS)}')
        if answer == "ignore":
            common.count_skip(skipped, "ignore")
            continue
        meta = common.require_object(record.get("meta"), where, line, '"meta"')
        ids = common.ids_from(meta, where, line, what='"meta"')
        labels = common.labels_from(record.get("accept", []), where, line, what='"accept"')
        user = record.get("_annotator_id") or record.get("_session_id")
        who = common.resolve_annotator(user, annotator, annotator_names, where, line)
        stamp = record.get("_timestamp")
        time = common.utc_seconds(stamp, where, line) if stamp is not None else now
        answers.append(common.build_answer(
            ids, annotator=who, labels=labels, time=time, agent=agent, agent_model=agent_model,
            guide_version=guide_version, unclear=answer == "reject", tool=TOOL,
            tool_key=[record.get("_task_hash"), stamp], where=where, line=line))
    return answers
