"""Gold rows and the comparison of an external dataset's labels with the annotated values."""
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from forum_anecdotes.gold import external_agreement, external_and_annotated
from forum_anecdotes.schema import LabelRecord


def rec(name, value, origin, **kw):
    agent = {"external": "dataset", "annotator": "language_model", "adjudicated": "rule"}[origin]
    by = {"external": "psytar", "annotator": "llm-1", "adjudicated": "majority_vote"}[origin]
    extra = {"agent_model": "Claude (Anthropic)"} if agent == "language_model" else {}
    return LabelRecord(name=name, value=value, origin=origin, by=kw.pop("by", by), agent=agent, **extra, **kw)


def test_pairs_need_both_an_external_and_an_annotated_value():
    post = [rec("ssri_withdrawal", 1, "external"), rec("effect_adverse", 1, "external"),
            rec("ssri_withdrawal", 0, "adjudicated", time="2026-11-30T00:00:00Z"), rec("first_hand", 1, "annotator")]
    # effect_adverse has no annotated value, first_hand no external one
    assert external_and_annotated(post) == {"ssri_withdrawal": (1, 0)}
    # the annotated value follows the gold policy without the external record: a split vote is no value
    split = [rec("ssri_withdrawal", 1, "external"), rec("ssri_withdrawal", 1, "annotator", by="llm-1"),
             rec("ssri_withdrawal", 0, "annotator", by="llm-2")]
    assert external_and_annotated(split) == {}
    assert external_and_annotated([r.to_dict() for r in post]) == {"ssri_withdrawal": (1, 0)}


def test_external_agreement_counts_the_table_and_matches_sklearn_kappa():
    rng = np.random.default_rng(3)
    external = rng.integers(0, 2, 200)
    annotated = np.where(rng.random(200) < 0.85, external, 1 - external)
    pairs = [{"ssri_withdrawal": (int(e), int(a))} for e, a in zip(external, annotated)]
    out = external_agreement(pairs, n_boot=200, seed=0)
    f = out["ssri_withdrawal"]
    assert set(out) == {"ssri_withdrawal"}
    assert f["posts"] == 200
    assert f["both_positive"] + f["external_only"] + f["annotated_only"] + f["both_negative"] == 200
    assert f["external_only"] == int(((external == 1) & (annotated == 0)).sum())
    assert f["annotated_only"] == int(((external == 0) & (annotated == 1)).sum())
    assert f["kappa"] == pytest.approx(cohen_kappa_score(external, annotated))
    assert f["kappa_ci"][0] < f["kappa"] < f["kappa_ci"][1]


def test_external_agreement_without_variation_has_no_kappa():
    out = external_agreement([{"first_hand": (1, 1)}] * 5, n_boot=50)
    assert out["first_hand"]["kappa"] is None and out["first_hand"]["kappa_ci"] is None
    assert out["first_hand"]["both_positive"] == 5
    assert external_agreement([], n_boot=50) == {}
