"""Adjudication: majority vote, ties, decisions and single-annotator labels, with provenance."""
import copy
import itertools
import json

import numpy as np
import pytest

from forum_anecdotes.annotation.adjudicate import (
    AdjudicationResult,
    adjudicate,
    decision_problems,
    disagreement_table,
    load_decisions,
)
from forum_anecdotes.io import BadInput
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.schema import LabelRecord, gold_record, label_matrix

L = len(LABEL_NAMES)

_ids = itertools.count(1)


def answer(post, annotator, values, *, time="2026-11-29T10:00:00Z", guide_version="1.0", batch="b1",
           unclear=False, answer_id=None, model=None):
    if isinstance(values, int):
        values = [values] * L
    return {"answer_id": answer_id or f"x{next(_ids)}", "task_id": f"{batch}-{post}", "post_id": post, "batch": batch,
            "annotator": annotator, "agent": "language_model" if model else "person", "agent_model": model,
            "guide_version": guide_version, "time": time, "labels": dict(zip(LABEL_NAMES, values)),
            "unclear": unclear, "note": ""}


def decision(post, label, value, *, adjudicator="adj-1", time="2026-12-01T09:00:00Z", **kw):
    return {"post_id": post, "label": label, "value": value, "adjudicator": adjudicator, "agent": "person",
            "time": time, **kw}


def by_name(result, post):
    return {r.name: r for r in result.records[post]}


def test_majority_vote_gives_gold_with_provenance():
    answers = [answer("p1", "ann-1", 1, time="2026-11-29T10:00:00Z"),
               answer("p1", "ann-2", 1, time="2026-11-29T11:00:00Z"),
               answer("p1", "ann-3", [0] + [1] * (L - 1), time="2026-11-29T10:30:00Z")]
    result = adjudicate(answers)
    records = by_name(result, "p1")
    assert set(records) == set(LABEL_NAMES)
    r = records[LABEL_NAMES[0]]
    assert (r.value, r.origin, r.agent, r.by) == (1, "adjudicated", "rule", "majority_vote")
    assert r.note == "majority vote: 2 of 3 annotators set 1"
    assert (r.guide_version, r.batch, r.time) == ("1.0", "b1", "2026-11-29T11:00:00Z")
    assert records[LABEL_NAMES[1]].note == "majority vote: 3 of 3 annotators set 1"
    assert [(d.post_id, d.label, d.votes, d.tie, d.resolved_by) for d in result.disagreements] == [
        ("p1", LABEL_NAMES[0], {"ann-1": 1, "ann-2": 1, "ann-3": 0}, False, "majority_vote")]
    assert result.ties == []
    assert gold_record(result.records["p1"], LABEL_NAMES[0]) is r


def test_a_tie_has_no_gold_unless_a_decision_covers_it():
    answers = [answer("p1", "ann-1", 1), answer("p1", "ann-2", [0, 1, 1, 1, 1])]
    result = adjudicate(answers)
    assert LABEL_NAMES[0] not in by_name(result, "p1")
    assert [(t.label, t.votes, t.majority, t.value) for t in result.ties] == [
        (LABEL_NAMES[0], {"ann-1": 1, "ann-2": 0}, None, None)]
    assert result.unresolved_ties == result.ties
    _, known = label_matrix([result.records["p1"]])
    np.testing.assert_array_equal(known, [[False] + [True] * (L - 1)])

    decided = adjudicate(answers, decisions=[decision("p1", LABEL_NAMES[0], 0, note="only hoped for")])
    r = by_name(decided, "p1")[LABEL_NAMES[0]]
    assert (r.value, r.origin, r.agent, r.by, r.time) == (0, "adjudicated", "person", "adj-1", "2026-12-01T09:00:00Z")
    assert r.note == "only hoped for; decision over the vote (a tie, 1 of 2 annotators set 1)"
    assert (r.guide_version, r.batch) == ("1.0", "b1")
    assert decided.ties[0].resolved_by == "decision" and decided.unresolved_ties == []


def test_a_decision_wins_over_the_vote_and_the_latest_decision_wins():
    answers = [answer("p1", f"ann-{i}", 1) for i in range(3)]
    decisions = [decision("p1", "first_hand", 0, time="2026-12-02T09:00:00Z"),
                 decision("p1", "first_hand", 1, time="2026-12-01T09:00:00Z", adjudicator="adj-2"),
                 decision("p1", "abuse_harm", 0, adjudicator="gpt-run-1", agent="language_model", agent_model="llm-x")]
    result = adjudicate(answers, decisions=decisions)
    records = by_name(result, "p1")
    assert (records["first_hand"].value, records["first_hand"].by) == (0, "adj-1")
    assert records["first_hand"].note == "decision over the vote (3 of 3 annotators set 1)"
    lm = records["abuse_harm"]
    assert (lm.agent, lm.agent_model, lm.by, lm.value) == ("language_model", "llm-x", "gpt-run-1", 0)
    assert records["effect_adverse"].by == "majority_vote"
    assert result.disagreements == []  # the annotators agreed; the decisions overrode them


def test_single_annotator_posts_get_annotator_records():
    answers = [answer("p1", "ann-1", [1, 0, 0, 1, 1], batch="b2"),
               answer("p2", "llm-run-1", 1, model="llm-x"),
               answer("p3", "ann-1", 1), answer("p3", "ann-2", 0, unclear=True)]  # unclear: excluded
    result = adjudicate(answers)
    r = by_name(result, "p1")["first_hand"]
    assert (r.value, r.origin, r.agent, r.agent_model, r.by, r.guide_version, r.batch, r.time) == (
        1, "annotator", "person", None, "ann-1", "1.0", "b2", "2026-11-29T10:00:00Z")
    lm = by_name(result, "p2")["first_hand"]
    assert (lm.origin, lm.agent, lm.agent_model, lm.by) == ("annotator", "language_model", "llm-x", "llm-run-1")
    assert {r.origin for r in result.records["p3"]} == {"annotator"} and len(result.records["p3"]) == L
    assert result.disagreements == []


def test_min_annotators():
    answers = [answer("p1", "ann-1", 1), answer("p1", "ann-2", [0, 1, 1, 1, 1])]
    result = adjudicate(answers, min_annotators=3)
    records = result.records["p1"]
    assert len(records) == 2 * L and {r.origin for r in records} == {"annotator"}
    # the schema's gold policy counts agreeing annotator records, and no gold where they differ
    assert gold_record(records, LABEL_NAMES[0]) is None and gold_record(records, LABEL_NAMES[1]).value == 1
    assert result.disagreements[0].resolved_by is None
    with pytest.raises(ValueError, match="at least 2"):
        adjudicate(answers, min_annotators=1)


def test_current_answers_only():
    answers = [answer("p1", "ann-1", 0, answer_id="a1"), answer("p1", "ann-1", 1, answer_id="a2"),
               answer("p1", "ann-2", 1, answer_id="a3"), answer("p1", "ann-2", 0, answer_id="a4"),
               {"answer_id": "u1", "undo": "a4", "annotator": "ann-2", "time": "2026-11-29T10:00:00Z"}]
    result = adjudicate(answers)
    assert {r.value for r in result.records["p1"]} == {1} and {r.by for r in result.records["p1"]} == {"majority_vote"}


def test_mixed_guide_versions_and_batches_are_noted():
    answers = [answer("p1", "ann-1", 1, guide_version="0.9", batch="b1", time="2026-11-29T12:00:00Z"),
               answer("p1", "ann-2", 1, guide_version="1.0", batch="b2", time="2026-11-29T10:00:00Z")]
    r = by_name(adjudicate(answers), "p1")["first_hand"]
    assert (r.guide_version, r.batch) == ("1.0", "b1")
    assert "guide versions 0.9, 1.0; the latest, 1.0, is recorded" in r.note
    assert "batches b1, b2; the latest answer's, b1, is recorded" in r.note


def test_a_decision_for_a_post_without_clear_answers():
    answers = [answer("p1", "ann-1", 0, unclear=True), answer("p1", "ann-2", 0, unclear=True)]
    result = adjudicate(answers, decisions=[decision("p1", "first_hand", 1, guide_version="1.0", batch="b1")])
    r = by_name(result, "p1")["first_hand"]
    assert (r.value, r.origin, r.guide_version, r.batch) == (1, "adjudicated", "1.0", "b1")
    assert "no clear answers" in r.note and len(result.unmatched_decisions) == 1


def test_every_record_round_trips_and_carries_provenance():
    rng = np.random.default_rng(0)
    answers = []
    for p in range(40):
        for a in rng.choice(4, rng.integers(1, 4), replace=False):
            model = "llm-x" if a == 3 else None
            answers.append(answer(f"p{p:02d}", f"ann-{a}", [int(v) for v in rng.random(L) < 0.4], model=model))
    before = copy.deepcopy(answers)
    result = adjudicate(answers)
    assert answers == before  # pure: the input is not changed
    assert result.records_as_dicts() == adjudicate(answers).records_as_dicts()
    json.dumps(result.records_as_dicts())
    for records in result.records.values():
        for r in records:
            assert LabelRecord.from_dict(r.to_dict()) == r
            assert r.guide_version and r.batch and r.time and r.agent
            assert (r.agent == "language_model") == bool(r.agent_model)
    assert all(d.tie == (sum(d.votes.values()) * 2 == len(d.votes)) for d in result.disagreements)
    assert {(t.post_id, t.label) for t in result.ties} <= {(d.post_id, d.label) for d in result.disagreements}


def test_disagreement_table_for_review():
    answers = [answer("p1", "ann-1", 1), answer("p1", "ann-2", [0, 1, 1, 1, 1]),
               answer("p2", "ann-1", 1), answer("p2", "ann-2", 1), answer("p2", "ann-3", [1, 1, 0, 1, 1])]
    result = adjudicate(answers, decisions=[decision("p9", "first_hand", 1)])
    rows = disagreement_table(result)
    json.dumps(rows)
    assert [(r["post_id"], r["label"], r["tie"], r["resolved_by"], r["value"]) for r in rows] == [
        ("p1", LABEL_NAMES[0], True, None, None), ("p2", LABEL_NAMES[2], False, "majority_vote", 1)]
    assert rows[0]["votes"] == {"ann-1": 1, "ann-2": 0} and (rows[1]["ones"], rows[1]["zeros"]) == (2, 1)
    assert isinstance(result, AdjudicationResult) and result.unmatched_decisions[0]["post_id"] == "p9"


def test_decision_checks():
    assert decision_problems(decision("p1", "first_hand", 1)) == []
    assert decision_problems(decision("p1", "magic", True, agent="robot", colour=1)) == [
        "unknown field(s) colour", "unknown label 'magic'; the labels are " + ", ".join(LABEL_NAMES),
        "value must be 0 or 1, not True", "agent 'robot' is not one of person, language_model"]
    assert decision_problems(decision("p1", "first_hand", 1, agent="language_model")) == [
        "agent_model must name the language model"]
    with pytest.raises(ValueError, match="decision 0 .*missing or empty adjudicator"):
        adjudicate([], decisions=[decision("p1", "first_hand", 1, adjudicator="")])


def test_load_decisions(tmp_path):
    path = tmp_path / "decisions.jsonl"
    good = [decision("p1", "first_hand", 1), decision("p2", "abuse_harm", 0, note="general statement")]
    path.write_text(json.dumps(good[0]) + "\n\n" + json.dumps(good[1]) + "\n", encoding="utf-8")
    assert load_decisions(path) == good
    path.write_text(json.dumps(good[0]) + "\n" + json.dumps({**good[1], "value": 3}) + "\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"decisions.jsonl:2: value must be 0 or 1, not 3"):
        load_decisions(path)
    path.write_text("{oops\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"decisions.jsonl:1: malformed JSON"):
        load_decisions(path)
    path.write_text("[]\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"decisions.jsonl:1: a decision must be a JSON object"):
        load_decisions(path)


def test_provenance_comes_from_the_batch_that_asked_the_label():
    # a post read in batch b1 for first_hand and later in b2 for ssri_withdrawal only
    first = [answer("p1", a, 1, batch="b1", time="2026-11-29T10:00:00Z") for a in ("ann-1", "ann-2")]
    for a in first:
        a["labels"] = {"first_hand": 1}
    later = [answer("p1", a, 0, batch="b2", time="2026-11-30T10:00:00Z") for a in ("ann-3", "ann-4")]
    for a in later:
        a["labels"] = {"ssri_withdrawal": 0}
    records = by_name(adjudicate(first + later), "p1")
    assert (records["first_hand"].batch, records["first_hand"].time) == ("b1", "2026-11-29T10:00:00Z")
    assert (records["ssri_withdrawal"].batch, records["ssri_withdrawal"].time) == ("b2", "2026-11-30T10:00:00Z")
    assert "batches" not in records["first_hand"].note and "batches" not in records["ssri_withdrawal"].note
