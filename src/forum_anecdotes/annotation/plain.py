"""Plain answers: the simplest way to answer a batch with a script or a language model.

A plain answers file has one line per task answered, in the order given::

    {"task_id": "b1-00007", "labels": {"abuse_harm": 1, "first_hand": 0, ...}, "unclear": false, "note": ""}

``labels`` gives 0 or 1 for each label the task asks (or lists the names set to 1, the others of
the task counting 0). :func:`import_plain` completes each line into an answer record
(:mod:`forum_anecdotes.annotation.records`) with the task's post and batch, the annotator, the
agent and the guide version, so that the answers file has full provenance.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from forum_anecdotes.annotation.records import GUIDE_VERSION, Answer, asked_labels, utc_now


def import_plain(path: str | os.PathLike, *, tasks: Mapping[str, dict], annotator: str, agent: str,
                 agent_model: str | None = None, guide_version: str = GUIDE_VERSION) -> list[dict[str, Any]]:
    """Complete a plain answers file into answer records.

    Args:
        path: the plain answers file (JSON Lines).
        tasks: task_id -> task (:func:`forum_anecdotes.annotation.batches.read_tasks`).
        annotator: who answered (a person's id, or a language-model run's id).
        agent: "person" or "language_model".
        agent_model: the language model's name (for agent "language_model").
        guide_version: the guide version the answers were made under.

    Returns:
        The answer records, in file order.

    Raises:
        ValueError: naming the file and line of a line that is not a plain answer to a known task,
            or that does not answer exactly the labels its task asks.
    """
    answers = []
    now = utc_now()
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}: not JSON ({e.msg})") from None
        if not isinstance(record, dict) or record.get("task_id") not in tasks:
            raise ValueError(f"{where}: no task_id of this batch")
        task = tasks[record["task_id"]]
        asked = asked_labels(task)
        given = record.get("labels")
        if isinstance(given, list):
            given = {name: int(name in given) for name in asked} if set(given) <= set(asked) else given
        if not isinstance(given, dict) or set(given) != set(asked):
            raise ValueError(f"{where}: answer exactly the labels task {task['task_id']} asks: {', '.join(asked)}")
        try:
            answer = Answer(task_id=task["task_id"], post_id=task["post_id"], batch=task["batch"], annotator=annotator,
                            agent=agent, agent_model=agent_model, guide_version=guide_version,
                            time=record.get("time") or now, labels={n: given[n] for n in asked},
                            unclear=bool(record.get("unclear", False)), note=str(record.get("note") or ""))
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        answers.append(answer.to_dict())
    return answers
