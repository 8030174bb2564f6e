"""Tasks that ask only some labels (PsyTAR: the two its own annotation lacks), from page to gold."""
import json
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest

from forum_anecdotes.annotation.adjudicate import adjudicate
from forum_anecdotes.annotation.agreement import answers_to_arrays
from forum_anecdotes.annotation.records import GUIDE_VERSION, Answer, answer_problems, asked_labels, utc_now
from forum_anecdotes.annotation.server import make_server
from forum_anecdotes.annotation.validate import has_errors, validate_answers
from forum_anecdotes.labels import LABEL_NAMES



def call(srv, method, path, body):
    """(status, None, parsed JSON) of one request to the test server."""
    request = urllib.request.Request(srv.url.rstrip("/") + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, None, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, None, json.loads(e.read())

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
TWO = ["abuse_harm", "first_hand"]


def psytar_task(i):
    return {"task_id": f"p-{i}", "batch": "p", "post_id": f"psytar-zoloft.{i}", "source": "psytar", "selection": "psytar",
            "title": None, "text": "review text", "parent": None, "opening": None, "labels": TWO,
            "guide_version": GUIDE_VERSION}


def two_label_answer(i, annotator, abuse, first):
    return Answer(task_id=f"p-{i}", post_id=f"psytar-zoloft.{i}", batch="p", annotator=annotator,
                  agent="language_model", agent_model="test-llm", guide_version=GUIDE_VERSION, time=utc_now(),
                  labels={"abuse_harm": abuse, "first_hand": first}).to_dict()


def test_asked_labels_default_to_all_in_contract_order():
    assert asked_labels({}) == list(LABEL_NAMES)
    assert asked_labels({"labels": ["first_hand", "abuse_harm"]}) == TWO


def test_an_answer_may_give_a_subset_but_not_none():
    assert answer_problems(two_label_answer(1, "a", 0, 1)) == []
    bad = two_label_answer(1, "a", 0, 1) | {"labels": {}}
    assert any("at least one label" in p for p in answer_problems(bad))


def test_validate_checks_the_answer_covers_exactly_the_task_labels(tmp_path):
    tasks = {"p-1": psytar_task(1)}
    path = tmp_path / "a.jsonl"
    full = two_label_answer(1, "a", 0, 1) | {"labels": dict.fromkeys(LABEL_NAMES, 0)}
    path.write_text(json.dumps(two_label_answer(1, "a", 0, 1)) + "\n" + json.dumps(full) + "\n")
    problems = validate_answers(path, tasks=tasks)
    assert has_errors(problems)
    assert [p.line for p in problems if p.level == "error"] == [2]
    assert "asks abuse_harm, first_hand" in str([p for p in problems if p.level == "error"][0])


def test_the_server_accepts_only_the_asked_labels(tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "tasks-ann.jsonl").write_text(json.dumps(psytar_task(1)) + "\n")
    srv = make_server(batch_dir=batch, answers_dir=tmp_path / "answers")
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        body = {"annotator": "ann", "task_id": "p-1", "unclear": False, "note": ""}
        status, _, payload = call(srv, "POST", "/api/answer", body | {"labels": dict.fromkeys(LABEL_NAMES, 0)})
        assert status == 400 and "asks abuse_harm, first_hand" in payload["error"]
        status, _, payload = call(srv, "POST", "/api/answer", body | {"labels": {"abuse_harm": 1, "first_hand": 0}})
        assert status == 200 and payload["answer"]["labels"] == {"abuse_harm": 1, "first_hand": 0}
    finally:
        srv.shutdown()
        srv.server_close()


def test_unasked_labels_stay_missing_in_agreement_and_gold():
    answers = [two_label_answer(1, "a", 1, 1), two_label_answer(1, "b", 1, 0)]
    _, _, array = answers_to_arrays(answers)
    asked = [LABEL_NAMES.index(n) for n in TWO]
    others = [k for k in range(len(LABEL_NAMES)) if k not in asked]
    assert np.isnan(array[others]).all() and not np.isnan(array[asked]).any()
    result = adjudicate(answers)
    names = {r.name for r in result.records.get("psytar-zoloft.1", [])}
    assert names <= set(TWO) and "abuse_harm" in names
