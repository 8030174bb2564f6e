"""Validation of answers files: every line checked, hand-edited files accepted when correct."""
import gzip
import json

import pytest

from forum_anecdotes.annotation.records import GUIDE_VERSION, Answer
from forum_anecdotes.annotation.validate import (
    Problem,
    format_problems,
    guide_version_key,
    has_errors,
    validate_answers,
)
from forum_anecdotes.labels import LABEL_NAMES

TASKS = {
    "b1-0001": {"task_id": "b1-0001", "batch": "b1", "post_id": "p1"},
    "b1-0002": {"task_id": "b1-0002", "batch": "b1", "post_id": "p2"},
    "b2-0001": {"task_id": "b2-0001", "batch": "b2", "post_id": "p1"},
}


def answer(answer_id, task_id="b1-0001", annotator="ann-1", **kw):
    task = TASKS.get(task_id, {"post_id": "p9", "batch": "b1"})
    record = Answer(task_id=task_id, post_id=task["post_id"], batch=task["batch"], annotator=annotator,
                    agent="person", guide_version=GUIDE_VERSION, time="2026-11-29T10:00:00Z",
                    labels={n: 0 for n in LABEL_NAMES}, answer_id=answer_id).to_dict()
    record.update(kw)
    return record


def undo(answer_id, target, annotator="ann-1"):
    return {"answer_id": answer_id, "undo": target, "annotator": annotator, "time": "2026-11-29T10:05:00Z"}


def write(tmp_path, lines, name="answers.jsonl"):
    path = tmp_path / name
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines), encoding="utf-8")
    return path


def messages(problems, level=None):
    return [(p.line, p.message) for p in problems if level is None or p.level == level]


def test_a_correct_file_has_no_problems(tmp_path):
    path = write(tmp_path, [answer("a1"), answer("a2", task_id="b1-0002"), answer("a3", annotator="ann-2")])
    assert validate_answers(path, tasks=TASKS) == []


def test_a_hand_edited_file_is_accepted_when_correct(tmp_path):
    # key order changed, spaces, a blank line, CRLF line ends and a byte-order mark, as an editor leaves them
    rec = answer("a1")
    text = json.dumps(dict(reversed(list(rec.items()))), indent=None, separators=(" , ", " : "))
    path = tmp_path / "answers.jsonl"
    path.write_bytes(("\ufeff" + text + "\r\n\r\n" + json.dumps(answer("a2", task_id="b1-0002")) + "\r\n").encode("utf-8"))
    assert validate_answers(path, tasks=TASKS) == []


def test_compressed_answers_are_read(tmp_path):
    path = tmp_path / "answers.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps(answer("a1")) + "\n" + "{broken\n")
    problems = validate_answers(path)
    assert messages(problems) == [(2, problems[0].message)] and "malformed JSON" in problems[0].message


def test_bad_lines_are_named_and_reading_goes_on(tmp_path):
    path = write(tmp_path, ["{not json", "[1, 2]", '{"answer_id": "x", "answer_id": "y"}', answer("a1")])
    path.write_bytes(path.read_bytes() + b'{"note": "\xff"}\n')
    problems = validate_answers(path)
    assert [p.line for p in problems] == [1, 2, 3, 5]
    assert "malformed JSON" in problems[0].message
    assert "expected a JSON object, got an array" in problems[1].message
    assert "'answer_id' appears twice" in problems[2].message
    assert "not valid UTF-8" in problems[3].message
    assert all(p.level == "error" for p in problems)


@pytest.mark.parametrize("change, expected", [
    (lambda r: r["labels"].update(effect_magic=1), "unknown label(s) effect_magic"),
    (lambda r: r["labels"].clear(), "answer at least one label"),
    (lambda r: r["labels"].update(first_hand=2), "label value(s) not 0 or 1: first_hand"),
    (lambda r: r["labels"].update(first_hand=True), "label value(s) not 0 or 1: first_hand"),
    (lambda r: r.pop("post_id"), "missing or empty post_id"),
    (lambda r: r.update(agent="language_model"), "agent_model must name the language model"),
    (lambda r: r.update(colour="red"), "unknown field(s) colour"),
    (lambda r: r.pop("answer_id"), "missing or empty answer_id"),
    (lambda r: r.update(time="yesterday"), "not an ISO 8601 time"),
    (lambda r: r.update(time="2026-11-29T10:00:00+01:00"), "not in UTC"),
])
def test_record_problems_are_errors_at_their_line(tmp_path, change, expected):
    bad = answer("a2", task_id="b1-0002")
    change(bad)
    problems = validate_answers(write(tmp_path, [answer("a1"), bad]))
    assert any(p.line == 2 and expected in p.message and p.level == "error" for p in problems), problems


def test_tasks_unknown_task_wrong_post_or_batch(tmp_path):
    path = write(tmp_path, [
        answer("a1", task_id="b1-0099"),
        answer("a2", post_id="p2", annotator="ann-2"),
        answer("a3", task_id="b1-0002", batch="b7", annotator="ann-3"),
    ])
    problems = validate_answers(path, tasks=TASKS)
    assert messages(problems, "error") == [
        (1, "unknown task_id b1-0099"),
        (2, "post_id p2 is not the post of task b1-0001 (p1)"),
        (3, "batch b7 is not the batch of task b1-0002 (b1)"),
    ]
    # without tasks, only the records themselves are checked
    assert validate_answers(path) == []


def test_a_repeated_answer_id_is_an_error(tmp_path):
    a1 = answer("a1")
    path = write(tmp_path, [a1, answer("a2", task_id="b1-0002"), a1, answer("a2", task_id="b1-0002", note="changed")])
    problems = validate_answers(path)
    assert messages(problems, "error") == [
        (3, "answer_id a1 repeats line 1: the same line twice"),
        (4, "answer_id a2 is already used at line 2"),
    ]
    assert messages(problems, "warning") == []  # the repeat is not counted again as a duplicate answer


def test_a_second_answer_without_undo_is_a_duplicate_warning(tmp_path):
    path = write(tmp_path, [answer("a1"), answer("a2", annotator="ann-2"), answer("a3", note="changed my mind")])
    problems = validate_answers(path, tasks=TASKS)
    assert messages(problems) == [(3, "duplicate answer (line 3 supersedes line 1)")]
    assert problems[0].level == "warning" and not has_errors(problems)


def test_the_same_post_through_two_tasks_is_a_duplicate(tmp_path):
    problems = validate_answers(write(tmp_path, [answer("a1"), answer("a2", task_id="b2-0001")]), tasks=TASKS)
    assert messages(problems, "warning") == [
        (2, "duplicate answer (line 2 supersedes line 1); tasks b1-0001 and b2-0001 show the same post")]


def test_an_undo_in_between_makes_a_new_answer_legitimate(tmp_path):
    path = write(tmp_path, [answer("a1"), undo("u1", "a1"), answer("a2")])
    assert validate_answers(path, tasks=TASKS) == []
    # undoing the correction brings the first answer back: a third answer supersedes it again
    path = write(tmp_path, [answer("a1"), answer("a2"), undo("u1", "a2"), answer("a3")])
    assert messages(validate_answers(path)) == [
        (2, "duplicate answer (line 2 supersedes line 1)"), (4, "duplicate answer (line 4 supersedes line 1)")]


def test_undo_problems(tmp_path):
    path = write(tmp_path, [
        answer("a1"),
        undo("u1", "nope"),
        undo("u2", "a9"),
        answer("a9", task_id="b1-0002"),
        undo("u3", "a1", annotator="ann-2"),
        undo("u4", "u1"),
        undo("u5", "a1"),
        undo("u6", "a1"),
        {"answer_id": "u7", "undo": "a1"},
    ])
    problems = validate_answers(path)
    assert messages(problems, "error") == [
        (2, "undo names unknown answer_id nope"),
        (3, "undo names answer a9, which comes later (line 4); an undo follows the answer it withdraws"),
        (5, "undo by ann-2 names the answer of ann-1 (line 1); an annotator can only withdraw their own answers"),
        (6, "undo names line 2, which is itself an undo, not an answer"),
        (9, "undo record: missing or empty annotator, time"),
    ]
    assert messages(problems, "warning") == [(8, "answer a1 (line 1) is already withdrawn at line 7")]


def test_guide_versions(tmp_path):
    path = write(tmp_path, [
        answer("a1", guide_version="0.9"),
        answer("a2", task_id="b1-0002", guide_version="9.0"),
        answer("a3", annotator="ann-2", guide_version="one"),
        answer("a4", annotator="ann-3", guide_version="1"),  # the same version as "1.0"
    ])
    problems = validate_answers(path, guide_version="1.0")
    assert messages(problems, "warning") == [
        (1, "answer made under guide version 0.9; the current guide is version 1.0")]
    assert messages(problems, "error") == [
        (2, "guide version 9.0 is newer than the current guide version 1.0"),
        (3, "guide version 'one' is not a version like 1.0"),
    ]
    assert guide_version_key("1.10") > guide_version_key("1.9") > guide_version_key("1")


def test_one_annotator_id_one_agent(tmp_path):
    path = write(tmp_path, [answer("a1"), answer("a2", task_id="b1-0002", agent="language_model", agent_model="llm-1")])
    problems = validate_answers(path)
    assert messages(problems, "error") == [
        (2, "annotator ann-1 is agent language_model (llm-1) here but person at line 1; one id, one agent")]


def test_a_missing_file_and_an_empty_file(tmp_path):
    problems = validate_answers(tmp_path / "none.jsonl")
    assert len(problems) == 1 and problems[0].line is None and has_errors(problems)
    assert str(problems[0]) == f"{tmp_path / 'none.jsonl'}: no such file"
    (tmp_path / "empty.jsonl").write_text("")
    assert validate_answers(tmp_path / "empty.jsonl") == []


def test_problem_text_and_summary():
    error = Problem("answers.jsonl", 3, "unknown task_id b1-0099")
    warning = Problem("answers.jsonl", 1, "duplicate answer (line 1 supersedes line 0)", level="warning")
    assert str(error) == "answers.jsonl:3: unknown task_id b1-0099"
    assert str(warning) == "answers.jsonl:1: warning: duplicate answer (line 1 supersedes line 0)"
    assert format_problems([error, warning]) == (
        "answers.jsonl:1: warning: duplicate answer (line 1 supersedes line 0)\n"
        "answers.jsonl:3: unknown task_id b1-0099\n"
        "1 error, 1 warning\n")
    assert format_problems([]) == "no problems\n"
    assert has_errors([error]) and not has_errors([warning]) and not has_errors([])
    with pytest.raises(ValueError, match="level"):
        Problem("f", 1, "m", level="fatal")
