"""Plain answers (from scripts and language models) completed into answer records."""
import json

import pytest

from forum_anecdotes.annotation.plain import import_plain
from forum_anecdotes.annotation.records import answer_problems
from forum_anecdotes.labels import LABEL_NAMES

TASKS = {
    "b-1": {"task_id": "b-1", "post_id": "rmhd-1", "batch": "b", "labels": list(LABEL_NAMES)},
    "p-1": {"task_id": "p-1", "post_id": "psytar-zoloft.1", "batch": "p", "labels": ["abuse_harm", "first_hand"]},
}


def write(tmp_path, *lines):
    path = tmp_path / "plain.jsonl"
    path.write_text("\n".join(json.dumps(x) if not isinstance(x, str) else x for x in lines) + "\n")
    return path


def test_plain_lines_become_answers_with_provenance(tmp_path):
    path = write(tmp_path, {"task_id": "b-1", "labels": ["first_hand", "abuse_harm"], "note": "relapse"},
                 {"task_id": "p-1", "labels": {"abuse_harm": 0, "first_hand": 1}, "unclear": False})
    answers = import_plain(path, tasks=TASKS, annotator="llm-01", agent="language_model", agent_model="Some LLM")
    assert [a["post_id"] for a in answers] == ["rmhd-1", "psytar-zoloft.1"]
    assert answers[0]["labels"] == {n: int(n in ("first_hand", "abuse_harm")) for n in LABEL_NAMES}
    assert answers[1]["labels"] == {"abuse_harm": 0, "first_hand": 1}
    assert all(a["agent"] == "language_model" and a["agent_model"] == "Some LLM" and a["guide_version"] for a in answers)
    assert all(answer_problems(a) == [] for a in answers)


@pytest.mark.parametrize("line, message", [
    ("{oops", r"plain.jsonl:1: not JSON"),
    ({"task_id": "zz", "labels": []}, r"plain.jsonl:1: no task_id of this batch"),
    ({"task_id": "p-1", "labels": {"abuse_harm": 1}}, r"answer exactly the labels task p-1 asks"),
    ({"task_id": "p-1", "labels": ["effect_adverse"]}, r"answer exactly the labels"),
    ({"task_id": "b-1", "labels": dict.fromkeys(LABEL_NAMES, 2)}, r"plain.jsonl:1: label value"),
])
def test_bad_lines_name_file_and_line(tmp_path, line, message):
    with pytest.raises(ValueError, match=message):
        import_plain(write(tmp_path, line), tasks=TASKS, annotator="a", agent="person")


def test_a_language_model_must_be_named(tmp_path):
    with pytest.raises(ValueError, match="agent_model"):
        import_plain(write(tmp_path, {"task_id": "b-1", "labels": []}), tasks=TASKS, annotator="a", agent="language_model")
