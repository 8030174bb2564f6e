"""Label records with provenance, the gold policy and the label matrix."""
import numpy as np
import pytest

from forum_anecdotes.schema import (
    LABEL_NAMES,
    LABEL_RECORD_FIELDS,
    Agent,
    LabelOrigin,
    LabelRecord,
    features,
    gold_record,
    label_matrix,
    label_record_features,
)


def rec(name="first_hand", value=1, origin="annotator", by="ann-1", agent="person", **kw):
    return LabelRecord(name=name, value=value, origin=origin, by=by, agent=agent, **kw)


def test_a_language_model_annotator_must_be_named():
    with pytest.raises(ValueError, match="agent_model"):
        rec(agent="language_model")
    r = rec(agent="language_model", agent_model="some-llm-1", guide_version="1.0", batch="b1", time="2026-11-29T10:00:00Z")
    assert r.to_dict()["agent_model"] == "some-llm-1"
    with pytest.raises(ValueError, match="agent_model"):
        rec(agent="person", agent_model="some-llm-1")


@pytest.mark.parametrize("origin, agent", [
    ("external", "person"), ("annotator", "classifier"), ("model", "person"), ("rule", "language_model"),
    ("external", "language_model"),
])
def test_origin_and_agent_must_fit(origin, agent):
    with pytest.raises(ValueError, match="cannot be made by"):
        rec(origin=origin, agent=agent, agent_model="m" if agent == "language_model" else None)


def test_model_labels_need_version_and_score():
    with pytest.raises(ValueError, match="model_version and score"):
        rec(origin="model", agent="classifier", by="minilm-tagger")
    r = rec(origin="model", agent="classifier", by="minilm-tagger", model_version="0.1.0", score=0.93)
    assert not r.is_gold_candidate


@pytest.mark.parametrize("bad", [dict(name="harm"), dict(value=2), dict(value=True), dict(origin="guess"),
                                 dict(agent="robot"), dict(by="")])
def test_bad_values_are_refused(bad):
    with pytest.raises(ValueError):
        rec(**bad)


def test_from_dict_round_trips_and_refuses_unknown_fields():
    r = rec(guide_version="1.0", note="n")
    assert LabelRecord.from_dict(r.to_dict()) == r
    with pytest.raises(ValueError, match="unknown label record field"):
        LabelRecord.from_dict(r.to_dict() | {"annotator_name": "x"})
    with pytest.raises(ValueError, match="missing"):
        LabelRecord.from_dict({"name": "first_hand", "value": 1})


def test_gold_policy_adjudicated_over_annotator_over_external():
    external = rec(origin="external", agent="dataset", by="psytar", value=0)
    annotator = rec(value=1)
    adjudicated = rec(origin="adjudicated", agent="rule", by="majority", value=0, time="2026-11-29T00:00:00Z")
    assert gold_record([external], "first_hand") is external
    assert gold_record([external, annotator], "first_hand") is annotator
    assert gold_record([external, annotator, adjudicated], "first_hand") is adjudicated
    later = rec(origin="adjudicated", agent="person", by="adj-1", value=1, time="2026-11-30T00:00:00Z")
    assert gold_record([adjudicated, later], "first_hand") is later


def test_disagreeing_annotators_without_adjudication_are_unknown():
    assert gold_record([rec(value=1, by="a"), rec(value=0, by="b")], "first_hand") is None
    assert gold_record([rec(value=1, by="a"), rec(value=1, by="b")], "first_hand").value == 1


def test_rule_and_model_labels_are_never_gold():
    rule = rec(origin="rule", agent="rule", by="lexicon")
    model = rec(origin="model", agent="classifier", by="m", model_version="1", score=0.9)
    assert gold_record([rule, model], "first_hand") is None


def test_label_matrix_keeps_unknown_apart_from_zero():
    posts = [
        [rec(name="first_hand", value=0).to_dict()],  # known 0: dicts as in the corpus
        [],  # nothing known
        [rec(name="abuse_harm", value=1), rec(name="first_hand", value=1)],
    ]
    values, known = label_matrix(posts)
    assert values.shape == known.shape == (3, len(LABEL_NAMES))
    fh, ah = LABEL_NAMES.index("first_hand"), LABEL_NAMES.index("abuse_harm")
    assert known[0, fh] and values[0, fh] == 0
    assert not known[1].any() and not values[1].any()
    assert known[2, fh] and known[2, ah] and values[2, ah] == 1
    assert known.sum() == 3
    assert values.dtype == np.int8 and known.dtype == bool


def test_label_matrix_of_no_posts():
    values, known = label_matrix([])
    assert values.shape == (0, len(LABEL_NAMES))


def test_features_describe_every_label_record_field():
    assert list(label_record_features()) == list(LABEL_RECORD_FIELDS)
    assert "labels" in features()


def test_enums_are_stable():
    # published values: changing them breaks released data
    assert [o.value for o in LabelOrigin] == ["external", "annotator", "adjudicated", "rule", "model"]
    assert [a.value for a in Agent] == ["person", "language_model", "dataset", "rule", "classifier"]
