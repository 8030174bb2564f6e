"""Import and export between the annotation workflow and four annotation tools.

One module per tool, each with the same functions:

* ``export_tasks(tasks, path_or_stream) -> int``: our task records in the tool's import format, the
  ids (``task_id``, ``post_id``, ``batch``) in the tool's metadata field so they come back;
* ``import_answers(path, *, annotator=None, agent="person", agent_model=None,
  guide_version=GUIDE_VERSION, annotator_names=None, skipped=None) -> list[dict]``: the tool's
  export of annotations as our answer records (labels selected = 1, others 0), each passing
  ``records.answer_problems``;
* ``labeling_config() -> str``: the tool's label configuration, generated from
  :data:`forum_anecdotes.labels.LABELS` (the only place the label set is defined).

Modules: :mod:`.doccano` (JSONL, text classification), :mod:`.labelstudio` (JSON tasks, labeling
config XML, JSON and JSON-MIN exports), :mod:`.prodigy` (``choice`` tasks, ``db-out`` JSONL) and
:mod:`.argilla` (2.x flat records). Each module's docstring cites the tool documentation it follows
and says how the tool's skip/reject/discard answers map to ours. In short: an annotation the tool
marks skipped (Prodigy "ignore", Label Studio cancelled, Argilla discarded or draft) gives no answer
and is counted in ``skipped``; a Prodigy "reject" is an answer with ``unclear: true``.

A problem in a tool file raises :class:`~.common.InteropError` (a ``ValueError``) naming the file and
line.
"""
from forum_anecdotes.annotation.interop import argilla, doccano, labelstudio, prodigy
from forum_anecdotes.annotation.interop.common import InteropError

#: The tool modules by name.
TOOLS = {"doccano": doccano, "labelstudio": labelstudio, "prodigy": prodigy, "argilla": argilla}

__all__ = ["TOOLS", "InteropError", "argilla", "doccano", "labelstudio", "prodigy"]
