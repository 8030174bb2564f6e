"""The answers store: durable appends, undo semantics, torn last lines, validation."""
import json
import os
import threading

import pytest

from forum_anecdotes.annotation.records import GUIDE_VERSION, Answer, utc_now
from forum_anecdotes.annotation.store import AnswerStore, current
from forum_anecdotes.labels import LABEL_NAMES


def answer(post_id: str, *, first_hand: int = 0, task_id: str | None = None) -> dict:
    labels = dict.fromkeys(LABEL_NAMES, 0) | {"first_hand": first_hand}
    return Answer(task_id=task_id or f"b1-{post_id}", post_id=post_id, batch="b1", annotator="ann-1", agent="person",
                  guide_version=GUIDE_VERSION, time=utc_now(), labels=labels).to_dict()


def undo(answer_id: str) -> dict:
    return {"answer_id": f"undo-{answer_id}", "undo": answer_id, "annotator": "ann-1", "time": utc_now()}


def test_append_writes_one_line_per_record_and_fsyncs_before_returning(tmp_path, monkeypatch):
    store = AnswerStore(tmp_path / "answers" / "ann-1.jsonl")
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    a, b = answer("p1"), answer("p2", first_hand=1)
    assert store.append(a) == a
    store.append(b)
    assert synced, "append must fsync"
    lines = store.path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [a, b]
    assert store.read() == [a, b]


def test_a_missing_file_reads_as_no_answers(tmp_path):
    assert AnswerStore(tmp_path / "none.jsonl").read() == []


def test_invalid_records_are_refused_and_nothing_is_written(tmp_path):
    store = AnswerStore(tmp_path / "a.jsonl")
    bad = answer("p1")
    bad["labels"] = {**bad["labels"], "effect_beneficial": 2}
    with pytest.raises(ValueError, match="not 0 or 1: effect_beneficial"):
        store.append(bad)
    with pytest.raises(ValueError, match="at least one label"):
        store.append({**answer("p1"), "labels": {}})
    with pytest.raises(ValueError, match="undo record"):
        store.append({"undo": "x", "annotator": "ann-1"})
    assert not store.path.exists()


def test_latest_answer_per_post_wins(tmp_path):
    first, second, other = answer("p1"), answer("p1", first_hand=1), answer("p2")
    assert current([first, other, second]) == {"p2": other, "p1": second}


def test_undo_brings_back_the_previous_answer_for_that_post():
    first, second, other = answer("p1"), answer("p1", first_hand=1), answer("p2")
    records = [first, other, second, undo(second["answer_id"])]
    assert current(records) == {"p1": first, "p2": other}
    records.append(undo(first["answer_id"]))
    assert current(records) == {"p2": other}
    # an undone answer stays withdrawn even when a later answer for the same post is undone too
    third = answer("p1")
    assert current([*records, third]) == {"p2": other, "p1": third}
    assert current([*records, third, undo(third["answer_id"])]) == {"p2": other}


def test_undo_last_withdraws_the_most_recent_standing_answer(tmp_path):
    store = AnswerStore(tmp_path / "a.jsonl")
    assert store.undo_last("ann-1") is None
    first, other, second = answer("p1"), answer("p2"), answer("p1", first_hand=1)
    for record in (first, other, second):
        store.append(record)
    assert store.undo_last("ann-1") == (second, first)
    assert store.undo_last("ann-1") == (other, None)  # first was written before other
    assert store.undo_last("ann-1") == (first, None)
    assert store.undo_last("ann-1") is None
    records = store.read()
    assert [r["undo"] for r in records if "undo" in r] == [second["answer_id"], other["answer_id"], first["answer_id"]]
    assert all(r["annotator"] == "ann-1" for r in records)


def test_torn_last_line_is_reported_and_ignored_and_the_next_append_is_kept(tmp_path, caplog):
    store = AnswerStore(tmp_path / "a.jsonl")
    good = answer("p1")
    store.append(good)
    torn = json.dumps(answer("p2"))[:40]  # a crash in the middle of writing the second line
    with open(store.path, "a", encoding="utf-8") as f:
        f.write(torn)
    records, problems = store.read_checked()
    assert records == [good]
    assert len(problems) == 1 and problems[0].line == 2 and "torn last line" in problems[0].reason
    with caplog.at_level("WARNING"):
        assert store.read() == [good]
    assert "a.jsonl:2: torn last line" in caplog.text

    after = answer("p3")
    store.append(after)  # must not be glued onto the torn bytes
    assert store.path.read_text(encoding="utf-8").endswith(json.dumps(after, ensure_ascii=False) + "\n")
    records, problems = store.read_checked()
    assert records == [good, after]
    assert [p.line for p in problems] == [2]
    assert store.path.read_text(encoding="utf-8").startswith(json.dumps(good, ensure_ascii=False) + "\n" + torn)


def test_a_complete_last_record_without_newline_is_kept(tmp_path):
    store = AnswerStore(tmp_path / "a.jsonl")
    whole = answer("p1")
    store.path.write_text(json.dumps(whole), encoding="utf-8")  # the crash came just before the newline
    assert store.read() == [whole]
    store.append(answer("p2"))
    assert [r["post_id"] for r in store.read()] == ["p1", "p2"]


def test_the_file_is_only_ever_appended_to(tmp_path):
    store = AnswerStore(tmp_path / "a.jsonl")
    store.append(answer("p1"))
    before = store.path.read_bytes()
    store.append(answer("p1", first_hand=1))
    store.undo_last("ann-1")
    assert store.path.read_bytes().startswith(before)


def test_concurrent_appends_from_threads_give_whole_lines(tmp_path):
    store = AnswerStore(tmp_path / "a.jsonl")
    records = [answer(f"p{i}") | {"note": "x" * 5000} for i in range(40)]
    threads = [threading.Thread(target=store.append, args=(r,)) for r in records]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    read, problems = store.read_checked()
    assert problems == []
    assert sorted(r["post_id"] for r in read) == sorted(r["post_id"] for r in records)
