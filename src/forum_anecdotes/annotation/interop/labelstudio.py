"""Label Studio: JSON tasks and a labeling config, and Label Studio's JSON and JSON-MIN exports back.

Formats followed (Label Studio 1.x):

* **Import** (Import > JSON): a list of tasks ``{"data": {...}, "predictions": [...]}``; the keys
  of ``data`` are what the labeling config reads as ``$key``
  (https://labelstud.io/guide/tasks.html#Basic-Label-Studio-JSON-format). A prediction is
  ``{"model_version", "result": [{"from_name", "to_name", "type": "choices", "value": {"choices":
  [...]}}]}`` (https://labelstud.io/guide/predictions.html).
* **Labeling config**: ``<View>`` with ``<Text name="text" value="$text"/>`` and
  ``<Choices name="labels" toName="text" choice="multiple">`` holding one ``<Choice value=...>`` per
  label (https://labelstud.io/tags/choices.html), plus the thread context as further ``<Text>`` tags,
  an "unclear" check box and a note ``<TextArea>`` (https://labelstud.io/tags/textarea.html).
* **JSON export**: the tasks with ``"annotations": [{"id", "result": [...], "was_cancelled",
  "completed_by", "created_at", "updated_at", ...}]``, ``completed_by`` the user's id (or an object
  with the user's ``email``) ("Label Studio JSON format of annotated tasks",
  https://labelstud.io/guide/export.html#Label-Studio-JSON-format-of-annotated-tasks). Cancelled
  (skipped) annotations are exported too, flagged ``was_cancelled``.
* **JSON-MIN export**: one flat record per annotation: the task's ``data`` keys, ``id`` (the task),
  one key per control tag (its ``from_name``), ``annotator``, ``annotation_id``, ``created_at``,
  ``updated_at``, ``lead_time`` (https://labelstud.io/guide/export.html#JSON-MIN; written by
  ``Converter.convert_to_json_min`` in label-studio-sdk). A ``Choices`` value is the choice itself
  (a string) when one is selected and ``{"choices": [...]}`` when several are (the converter's
  ``prettify_result``); a tag with nothing selected has no key. Cancelled annotations are left out.

Mapping: selected labels are 1, the others 0; the "unclear" box sets ``unclear``; the note text is the
answer's ``note``. The annotator is ``completed_by`` / ``annotator`` (a user id, or an email), the
time the annotation's ``updated_at``, else ``created_at``, else the import time. A cancelled
(skipped) annotation and a task exported without annotations give no answer and are counted in
``skipped``.
"""
from __future__ import annotations

import collections
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import IO, Any

from forum_anecdotes.annotation.interop import common
from forum_anecdotes.annotation.records import GUIDE_VERSION, utc_now
from forum_anecdotes.labels import LABEL_NAMES

#: Tool name, part of answer ids.
TOOL = "labelstudio"

#: Control tag names of the labeling config (the ``from_name`` of results, the keys of JSON-MIN).
LABELS_TAG, UNCLEAR_TAG, NOTE_TAG = "labels", "unclear", "note"
#: The object tag the controls label.
TEXT_TAG = "text"
#: The one choice of the "unclear" check box.
UNCLEAR_CHOICE = "unclear"
#: Keys of a task's ``data``, besides the ids: the post and its thread context.
DATA_KEYS: tuple[str, ...] = ("text", "title", "parent_text", "opening_text")


def labeling_config() -> str:
    """The project's labeling config, with one choice per contract label in contract order.

    The thread context comes first and the post after it, as on our own labeling page; the labels
    use ``choice="multiple"`` because they are independent; each choice's hint shows the label's
    title and when it is 1.

    Returns:
        The config XML (paste it into Settings > Labeling Interface > Code).
    """
    view = ET.Element("View")
    context = ET.SubElement(view, "View", style="background: #f4f4f4; padding: 0 12px; margin-bottom: 12px")
    ET.SubElement(context, "Header", value="Thread opening post (empty when the post below opens the thread)", size="6")
    ET.SubElement(context, "Text", name="opening", value="$opening_text")
    ET.SubElement(context, "Header", value="Post it replies to (empty when none)", size="6")
    ET.SubElement(context, "Text", name="parent", value="$parent_text")
    ET.SubElement(view, "Header", value="Post to label")
    ET.SubElement(view, "Text", name="title", value="$title")
    ET.SubElement(view, "Text", name=TEXT_TAG, value=f"${TEXT_TAG}")
    choices = ET.SubElement(view, "Choices", name=LABELS_TAG, toName=TEXT_TAG, choice="multiple", showInline="false")
    for i, name in enumerate(LABEL_NAMES, 1):
        ET.SubElement(choices, "Choice", value=name, hint=common.label_hint(name), hotkey=str(i))
    unclear = ET.SubElement(view, "Choices", name=UNCLEAR_TAG, toName=TEXT_TAG, choice="multiple")
    ET.SubElement(unclear, "Choice", value=UNCLEAR_CHOICE,
                  hint="I cannot judge this post under the guide (its labels will not be used as gold)")
    ET.SubElement(view, "TextArea", name=NOTE_TAG, toName=TEXT_TAG, placeholder="Note (optional)", rows="2",
                  maxSubmissions="1", editable="true")
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


def _prediction(names: list[str], model_version: str) -> dict[str, Any]:
    return {"model_version": model_version,
            "result": [{"from_name": LABELS_TAG, "to_name": TEXT_TAG, "type": "choices", "value": {"choices": names}}]}


def export_tasks(tasks: Iterable[Mapping[str, Any]], path_or_stream: str | os.PathLike | IO[str], *,
                 predictions: Mapping[str, Mapping[str, int]] | None = None,
                 model_version: str = "forum-anecdotes") -> int:
    """Write tasks as a Label Studio JSON import file.

    Each task is ``{"data": {"text", "title", "parent_text", "opening_text", "task_id", "post_id",
    "batch"}}``; every context key is present ("" when the post has none) because the labeling
    config reads them all.

    Args:
        tasks: task records; a task given more than once (one per annotator) is written once.
        path_or_stream: a file path (written atomically) or a text stream.
        predictions: optional pre-annotations, task_id -> {label: 0 or 1}, shown as predictions.
        model_version: the predictions' model version.

    Returns:
        The number of tasks written.
    """
    out = []
    for task in common.unique_tasks(tasks):
        item: dict[str, Any] = {"data": {"text": task["text"], **common.context_of(task), **common.ids_of(task)}}
        names = common.predicted_names(predictions, task["task_id"])
        if names is not None:
            item["predictions"] = [_prediction(names, model_version)]
        out.append(item)
    with common.open_output(path_or_stream) as f:
        f.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    return len(out)


# ---------------------------------------------------------------------------------------------
# import


def _user(completed_by: Any) -> Any:
    # The converter's get_annotator: an expanded user object gives its email, an id stays an id.
    if isinstance(completed_by, dict):
        return completed_by.get("email") or completed_by.get("id")
    return completed_by


def _str_list(value: Any, where: str, line: int, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise common.InteropError(where, line, f"{what} must be a list of strings")
    return value


def _from_result(result: Any, where: str, line: int, skipped: collections.Counter | None
                 ) -> tuple[list[str], bool, str]:
    """Labels, unclear and note from an annotation's ``result`` list (JSON export)."""
    if not isinstance(result, list):
        raise common.InteropError(where, line, 'annotation "result" is not a list')
    names: list[str] = []
    unclear = False
    notes: list[str] = []
    for region in result:
        region = common.require_object(region, where, line, "result item")
        from_name, value = region.get("from_name"), region.get("value")
        if not isinstance(value, dict):
            raise common.InteropError(where, line, f'result of {from_name!r} has no "value" object')
        if from_name == LABELS_TAG:
            names += _str_list(value.get("choices"), where, line, f'"choices" of {LABELS_TAG!r}')
        elif from_name == UNCLEAR_TAG:
            unclear = UNCLEAR_CHOICE in _str_list(value.get("choices"), where, line, f'"choices" of {UNCLEAR_TAG!r}')
        elif from_name == NOTE_TAG:
            text = value.get("text")
            notes += [text] if isinstance(text, str) else _str_list(text, where, line, f'"text" of {NOTE_TAG!r}')
        else:
            # A control added to the project by hand: not part of the answer, but counted.
            common.count_skip(skipped, f"result of an unknown control {from_name!r}")
    return names, unclear, "\n".join(notes)


def _min_choices(value: Any, where: str, line: int, what: str) -> list[str]:
    """The choices of a JSON-MIN value: absent, "a", {"choices": [...]}, or a list of either."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and "choices" in item:
            out += _str_list(item["choices"], where, line, f'"choices" of {what!r}')
        else:
            raise common.InteropError(where, line, f"{what!r} is not a choice, a list of choices or {{\"choices\": [...]}}")
    return out


def _min_text(value: Any, where: str, line: int) -> str:
    """The text of a JSON-MIN TextArea value: absent, "text", {"text": [...]}, or a list of either."""
    if value is None:
        return ""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and "text" in item:
            text = item["text"]
            out += [text] if isinstance(text, str) else _str_list(text, where, line, f'"text" of {NOTE_TAG!r}')
        else:
            raise common.InteropError(where, line, f"{NOTE_TAG!r} is not a text or {{\"text\": [...]}}")
    return "\n".join(out)


def _time(annotation: Mapping[str, Any], now: str, where: str, line: int) -> str:
    # The last change is when the annotator gave the labels that stand.
    stamp = annotation.get("updated_at") or annotation.get("created_at")
    return common.utc_seconds(stamp, where, line) if stamp else now


def import_answers(path: str | os.PathLike, *, annotator: str | None = None, agent: str = "person",
                   agent_model: str | None = None, guide_version: str = GUIDE_VERSION,
                   annotator_names: Mapping[str, str] | None = None,
                   skipped: collections.Counter | None = None) -> list[dict[str, Any]]:
    """Read a Label Studio JSON or JSON-MIN export (told apart per item) as answer records.

    Args:
        path: the exported ``.json`` file (a JSON array; JSON Lines is read too).
        annotator: the annotator when an annotation names none; Label Studio's user comes first.
        agent: "person", or "language_model" for answers a model gave through Label Studio.
        agent_model: the language model's name (only with agent "language_model").
        guide_version: the guide version the answers were made under.
        annotator_names: optional map from Label Studio user ids or emails to our annotator ids.
        skipped: a counter that gets what gave no answer: "cancelled" annotations, tasks "not
            annotated", results of unknown controls.

    Returns:
        One answer per annotation, in file order; every answer passes ``records.answer_problems``.

    Raises:
        ValueError: naming the file and line (the item's first line) of an item that is not Label
            Studio's export of our tasks.
    """
    common.check_agent(agent, agent_model)
    now = utc_now()
    where = str(path)
    answers = []

    def answer(ids, names, unclear, note, user, time, key, line):
        labels = common.labels_from(names, where, line, what=f"choices of {LABELS_TAG!r}")
        who = common.resolve_annotator(user, annotator, annotator_names, where, line)
        return common.build_answer(ids, annotator=who, labels=labels, time=time, agent=agent, agent_model=agent_model,
                                   guide_version=guide_version, unclear=unclear, note=note, tool=TOOL, tool_key=key,
                                   where=where, line=line)

    for line, value in common.iter_json_records(path):
        record = common.require_object(value, where, line, "task")
        if "annotations" in record or "completions" in record:  # JSON export ("completions" before 1.0)
            data = common.require_object(record.get("data"), where, line, 'task "data"')
            ids = common.ids_from(data, where, line, what='the task "data"')
            annotations = record.get("annotations", record.get("completions"))
            if not isinstance(annotations, list):
                raise common.InteropError(where, line, '"annotations" is not a list')
            if not annotations:
                common.count_skip(skipped, "not annotated")
            for ann in annotations:
                ann = common.require_object(ann, where, line, "annotation")
                if ann.get("was_cancelled") or ann.get("skipped"):
                    common.count_skip(skipped, "cancelled")
                    continue
                names, unclear, note = _from_result(ann.get("result") or [], where, line, skipped)
                answers.append(answer(ids, names, unclear, note, _user(ann.get("completed_by")),
                                      _time(ann, now, where, line), [record.get("id"), ann.get("id")], line))
        else:  # JSON-MIN: one flat record per annotation
            if record.get("annotation_id") is None and record.get("annotator") in (None, "", {}):
                # The converter writes a task without annotations with neither (download_all_tasks).
                common.count_skip(skipped, "not annotated")
                continue
            ids = common.ids_from(record, where, line, what="the record's data keys")
            names = _min_choices(record.get(LABELS_TAG), where, line, LABELS_TAG)
            unclear = UNCLEAR_CHOICE in _min_choices(record.get(UNCLEAR_TAG), where, line, UNCLEAR_TAG)
            note = _min_text(record.get(NOTE_TAG), where, line)
            answers.append(answer(ids, names, unclear, note, record.get("annotator"), _time(record, now, where, line),
                                  [record.get("id"), record.get("annotation_id")], line))
    return answers
