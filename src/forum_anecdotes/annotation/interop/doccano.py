"""doccano: text classification tasks as JSONL, and doccano's JSONL export back to answers.

Formats followed (doccano 1.x, "Text Classification" project with exclusive categories off, so a
post can get several labels):

* **Import** (Dataset > Actions > Import Dataset > JSONL): one object per line with the text in
  ``"text"``, the labels in ``"label"`` (a list of label names) and every other key kept by doccano
  as the example's metadata, e.g. ``{"text": "Terrible customer service.", "label": ["negative"]}``
  (doccano's own import example, ``frontend`` format examples and the tutorial,
  https://doccano.github.io/doccano/tutorial/).
* **Export** (Dataset > Actions > Export Dataset > JSONL): one line per example,
  ``{"id": <doccano id>, "text": ..., <metadata keys>..., "label": [names]}``, the metadata keys
  flattened into the line (``ExportedExample.to_dict`` in ``backend/data_export/models.py``). Without
  collaborative annotation the export is a zip with one ``<username>.jsonl`` per user
  (``backend/data_export/tests/test_task.py``); with it, one file whose labels merge all users.
* **Labels** (Labels > Actions > Import Labels): a JSON list of ``{"text", "suffix_key",
  "background_color", "text_color"}`` (``backend/label_types/tests/data/valid_labels.json``).

The task ids travel as doccano metadata (``task_id``, ``post_id``, ``batch``), next to the thread
context (``title``, ``parent_text``, ``opening_text``), which doccano shows in its metadata panel.

doccano lines name no annotator: the annotator is the username of the zip member
(``<username>.jsonl``), else the ``annotator`` keyword. doccano records no answer time, so answers
get the import time. An exported line with ``"label": []`` is a post with no label set, which is a
valid answer; doccano also exports examples nobody has labelled with ``"label": []``, so export
with "Export only approved documents" checked (doccano marks an example approved when the annotator
presses its check mark), or the unlabelled examples come back as all-0 answers.
doccano has no "unclear" flag, so answers from doccano are never unclear.
"""
from __future__ import annotations

import collections
import json
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import IO, Any

from forum_anecdotes.annotation.interop import common
from forum_anecdotes.annotation.records import GUIDE_VERSION, utc_now
from forum_anecdotes.labels import LABEL_NAMES

#: Tool name, part of answer ids.
TOOL = "doccano"

#: Label colours (doccano requires one per label); colour-blind safe (Okabe-Ito palette).
_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")


def labeling_config() -> str:
    """doccano's label import file for the project: one category per contract label, in order.

    Returns:
        JSON text for Labels > Actions > Import Labels; keys 1-5 select the labels.
    """
    labels = [{"text": name, "prefix_key": None, "suffix_key": str(i), "background_color": _COLOURS[(i - 1) % len(_COLOURS)],
               "text_color": "#ffffff"} for i, name in enumerate(LABEL_NAMES, 1)]
    return json.dumps(labels, ensure_ascii=False, indent=2) + "\n"


def export_tasks(tasks: Iterable[Mapping[str, Any]], path_or_stream: str | os.PathLike | IO[str]) -> int:
    """Write tasks as doccano's JSONL import file.

    Each line is ``{"text": <post>, "label": [], "task_id", "post_id", "batch", "title",
    "parent_text", "opening_text"}``. ``"label"`` is left empty on purpose: doccano would store
    labels given at import as annotations of the user who uploads the file, not as suggestions.

    Args:
        tasks: task records; a task given more than once (one per annotator) is written once.
        path_or_stream: a file path (written atomically) or a text stream.

    Returns:
        The number of lines written.
    """
    rows = [{"text": task["text"], "label": [], **common.ids_of(task), **common.context_of(task)}
            for task in common.unique_tasks(tasks)]
    with common.open_output(path_or_stream) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def _sources(path: str | os.PathLike) -> list[tuple[str, bytes, str | None]]:
    """The JSONL texts to read: the file itself, or each ``<username>.jsonl`` of an export zip.

    Returns:
        (where, data, username from the member name or None).
    """
    if zipfile.is_zipfile(path):
        out = []
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.is_dir():
                    continue
                member = PurePosixPath(info.filename)
                if member.suffix.lower() not in (".jsonl", ".json"):
                    raise common.InteropError(f"{path}!{info.filename}", None,
                                              "not a JSONL file (export the dataset as JSONL)")
                out.append((f"{path}!{info.filename}", z.read(info), member.stem))
        return out
    with open(path, "rb") as f:
        return [(str(path), f.read(), None)]


def import_answers(path: str | os.PathLike, *, annotator: str | None = None, agent: str = "person",
                   agent_model: str | None = None, guide_version: str = GUIDE_VERSION,
                   annotator_names: Mapping[str, str] | None = None,
                   skipped: collections.Counter | None = None) -> list[dict[str, Any]]:
    """Read doccano's JSONL export (a ``.jsonl`` file or the export zip) as answer records.

    Args:
        path: the exported ``.jsonl``, or the zip doccano downloads (one ``<username>.jsonl`` each).
        annotator: the annotator when the file does not say (a single ``.jsonl``); a zip member's
            username or a line's ``username`` field (older doccano versions) comes first.
        agent: "person", or "language_model" for answers a model gave through doccano.
        agent_model: the language model's name (only with agent "language_model").
        guide_version: the guide version the answers were made under.
        annotator_names: optional map from doccano usernames to our annotator ids.
        skipped: a counter for what is passed over (doccano exports nothing to pass over, so it is
            kept for the same signature as the other tools).

    Returns:
        One answer per exported line, in file order; every answer passes ``records.answer_problems``.

    Raises:
        ValueError: naming the file and line of a line that is not doccano's text classification
            export of our tasks (bad JSON, no task ids, a label that is not a contract label).
    """
    common.check_agent(agent, agent_model)
    now = utc_now()
    answers = []
    for where, data, member_user in _sources(path):
        for line, value in common.iter_json_lines(data, where):
            record = common.require_object(value, where, line, "line")
            # doccano before 1.6 nested the metadata under "meta"; later versions flatten it.
            meta = record.get("meta") if isinstance(record.get("meta"), dict) else record
            ids = common.ids_from(meta, where, line, what="the line's metadata")
            if "label" not in record:
                raise common.InteropError(where, line, 'no "label" list (export a text classification project as JSONL)')
            if isinstance(record["label"], list) and any(isinstance(x, list) for x in record["label"]):
                raise common.InteropError(where, line, '"label" holds spans: this is a sequence labeling export')
            labels = common.labels_from(record["label"], where, line, what='"label"')
            tool_user = record.get("username") or record.get("user") or member_user
            who = common.resolve_annotator(tool_user, annotator, annotator_names, where, line)
            answers.append(common.build_answer(
                ids, annotator=who, labels=labels, time=now, agent=agent, agent_model=agent_model,
                guide_version=guide_version, tool=TOOL, tool_key=record.get("id"), where=where, line=line))
    return answers
