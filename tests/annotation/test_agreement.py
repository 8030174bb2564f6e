"""Agreement statistics on seeded synthetic answers whose true agreement is known."""
import itertools
import json
import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from forum_anecdotes.annotation.agreement import (
    BootstrapInterval,
    agreement_report,
    answers_to_arrays,
    bootstrap_interval,
    cohen_kappa,
    current_answers,
    format_report,
    krippendorff_alpha,
    mean_pairwise_kappa,
    overlapping_pairs,
    set_alpha,
)
from forum_anecdotes.labels import LABEL_NAMES

L = len(LABEL_NAMES)

_ids = itertools.count(1)


def answer(post, annotator, values, *, answer_id=None, unclear=False):
    return {"answer_id": answer_id or f"x{next(_ids)}", "task_id": f"t-{post}", "post_id": post, "batch": "b1",
            "annotator": annotator, "agent": "person", "agent_model": None, "guide_version": "1.0",
            "time": "2026-11-29T10:00:00Z", "labels": dict(zip(LABEL_NAMES, map(int, values))),
            "unclear": unclear, "note": ""}


def simulate(seed, n_posts, n_annotators, *, prevalence=0.3, flip=0.1, per_post=None):
    """Answers of annotators who each flip the true value with probability ``flip``, independently.

    per_post: how many annotators answer each post (a random subset); None: all of them.
    """
    rng = np.random.default_rng(seed)
    truth = rng.random((n_posts, L)) < prevalence
    answers = []
    for p in range(n_posts):
        who = range(n_annotators) if per_post is None else sorted(rng.choice(n_annotators, per_post, replace=False))
        for a in who:
            values = truth[p] ^ (rng.random(L) < flip)
            answers.append(answer(f"p{p:04d}", f"ann-{a}", values))
    return answers


def expected_kappa(prevalence, flip):
    """Kappa (= alpha for large samples) of two annotators who flip the truth independently."""
    agree = (1 - flip) ** 2 + flip ** 2
    q = prevalence * (1 - flip) + (1 - prevalence) * flip
    chance = q ** 2 + (1 - q) ** 2
    return (agree - chance) / (1 - chance)


def test_perfect_agreement_is_one():
    _, _, array = answers_to_arrays(simulate(0, 60, 3, flip=0.0))
    for k in range(L):
        assert cohen_kappa(array[k][:, :2]) == pytest.approx(1.0)
        assert krippendorff_alpha(array[k]) == pytest.approx(1.0)
        assert mean_pairwise_kappa(array[k]) == pytest.approx(1.0)
    assert set_alpha(array) == pytest.approx(1.0)
    low, high = bootstrap_interval(krippendorff_alpha, array[0], n_boot=50)
    assert low == pytest.approx(1.0) and high == pytest.approx(1.0)


def test_independent_random_labels_agree_about_as_chance():
    rng = np.random.default_rng(1)
    array = (rng.random((3000, 2)) < 0.4).astype(float)
    assert abs(cohen_kappa(array)) < 0.05
    assert abs(krippendorff_alpha(array)) < 0.05
    low, high = bootstrap_interval(cohen_kappa, array, n_boot=200, seed=3)
    assert low < 0 < high


@pytest.mark.parametrize("prevalence, flip", [(0.3, 0.1), (0.1, 0.05), (0.5, 0.25)])
def test_known_agreement_is_recovered(prevalence, flip):
    _, _, array = answers_to_arrays(simulate(2, 4000, 2, prevalence=prevalence, flip=flip))
    truth = expected_kappa(prevalence, flip)
    for k in range(L):
        assert cohen_kappa(array[k]) == pytest.approx(truth, abs=0.05)
        assert krippendorff_alpha(array[k]) == pytest.approx(truth, abs=0.05)
    assert set_alpha(array) == pytest.approx(truth, abs=0.03)


def test_krippendorff_documented_examples():
    # the nominal example of krippendorff.alpha's docstring (coders x units there; posts x annotators here)
    reliability_data = np.array([
        [np.nan, np.nan, np.nan, np.nan, np.nan, 3, 4, 1, 2, 1, 1, 3, 3, np.nan, 3],
        [1, np.nan, 2, 1, 3, 3, 4, 3, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
        [np.nan, np.nan, 2, 1, 3, 4, 4, np.nan, 2, 1, 1, 3, 3, np.nan, 4],
    ])
    assert krippendorff_alpha(reliability_data.T) == pytest.approx(0.691358, abs=1e-6)
    # binary data, two observers (Krippendorff 2011, "Computing Krippendorff's alpha-reliability": 0.095)
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    array = np.array([a, b], dtype=float).T
    assert krippendorff_alpha(array) == pytest.approx(0.095, abs=5e-4)
    assert cohen_kappa(array) == pytest.approx(cohen_kappa_score(a, b))


def test_missing_answers_are_left_out():
    answers = simulate(3, 300, 4, flip=0.1, per_post=2)
    _, _, array = answers_to_arrays(answers)
    assert np.isnan(array).mean() == pytest.approx(0.5)
    both = ~np.isnan(array[0][:, :2]).any(axis=1)
    assert cohen_kappa(array[0][:, :2]) == pytest.approx(cohen_kappa_score(array[0][both, 0], array[0][both, 1]))
    # an annotator who answered nothing and posts answered once change nothing
    alpha = krippendorff_alpha(array[0])
    padded = np.vstack([np.hstack([array[0], np.full((300, 1), np.nan)]), [[1, np.nan, np.nan, np.nan, np.nan]]])
    assert krippendorff_alpha(padded) == pytest.approx(alpha)
    assert alpha == pytest.approx(expected_kappa(0.3, 0.1), abs=0.12)
    assert len(overlapping_pairs(array[0])) == 6


def test_undefined_statistics_are_nan():
    same = np.ones((10, 2))
    assert math.isnan(cohen_kappa(same)) and math.isnan(krippendorff_alpha(same))
    no_overlap = np.array([[1, np.nan], [np.nan, 0]])
    assert math.isnan(cohen_kappa(no_overlap)) and math.isnan(krippendorff_alpha(no_overlap))
    assert math.isnan(mean_pairwise_kappa(no_overlap)) and overlapping_pairs(no_overlap) == []
    with pytest.raises(ValueError, match="two annotator columns"):
        cohen_kappa(np.ones((3, 3)))


def test_bootstrap_skips_undefined_resamples_and_says_how_many():
    # two posts, one of each value: a resample of one post twice has no variation, alpha undefined
    array = np.array([[1, 1], [0, 0]], dtype=float)
    ci = bootstrap_interval(krippendorff_alpha, array, n_boot=200, seed=0)
    assert isinstance(ci, BootstrapInterval) and tuple(ci) == (ci.low, ci.high)
    assert 60 < ci.n_skipped < 140 and ci.n_boot == 200  # about half of the resamples
    assert ci.low == pytest.approx(1.0) and ci.high == pytest.approx(1.0)
    everything_undefined = bootstrap_interval(krippendorff_alpha, np.ones((5, 2)), n_boot=20)
    assert math.isnan(everything_undefined.low) and everything_undefined.n_skipped == 20
    # the same seed, the same interval
    _, _, big = answers_to_arrays(simulate(4, 200, 2))
    assert bootstrap_interval(cohen_kappa, big[0], n_boot=100, seed=7) == bootstrap_interval(cohen_kappa, big[0], n_boot=100, seed=7)


def test_bootstrap_resamples_posts_with_all_their_labels():
    _, _, array = answers_to_arrays(simulate(5, 300, 3, flip=0.15))
    point = set_alpha(array)
    low, high = bootstrap_interval(set_alpha, array, n_boot=200, seed=1)
    assert low < point < high
    assert high - low < 0.2


def test_current_answers_latest_undo_and_unclear():
    ones, zeros = [1] * L, [0] * L
    answers = [
        answer("p1", "ann-1", zeros, answer_id="a1"),
        answer("p1", "ann-1", ones, answer_id="a2"),  # a correction: wins
        answer("p2", "ann-1", ones, answer_id="a3"),
        answer("p2", "ann-1", zeros, answer_id="a4"),
        {"answer_id": "u1", "undo": "a4", "annotator": "ann-1", "time": "2026-11-29T10:00:00Z"},  # back to a3
        answer("p3", "ann-1", ones, answer_id="a5"),
        answer("p3", "ann-1", zeros, answer_id="a6", unclear=True),  # unclear now: no answer for p3
        {"answer_id": "u2", "undo": "a1", "annotator": "ann-2", "time": "2026-11-29T10:00:00Z"},  # not theirs: ignored
        answer("p1", "ann-2", zeros, answer_id="a7"),
    ]
    assert [a["answer_id"] for a in current_answers(answers)] == ["a2", "a3", "a7"]
    assert [a["answer_id"] for a in current_answers(answers, include_unclear=True)] == ["a2", "a3", "a6", "a7"]
    post_ids, annotators, array = answers_to_arrays(answers)
    assert post_ids == ["p1", "p2"] and annotators == ["ann-1", "ann-2"]
    assert array.shape == (L, 2, 2)
    np.testing.assert_array_equal(array[:, 0, :], [[1, 0]] * L)
    assert np.isnan(array[:, 1, 1]).all() and (array[:, 1, 0] == 1).all()
    with pytest.raises(ValueError, match="at least one label"):
        current_answers([{**answer("p1", "ann-1", zeros), "labels": {}}])


def test_report_two_annotators():
    answers = simulate(6, 200, 2, flip=0.1)
    report = agreement_report(answers, n_boot=200, seed=0)
    json.dumps(report, allow_nan=False)  # plain, JSON-serialisable
    assert report["n_posts"] == report["n_posts_double"] == 200 and report["annotators"] == ["ann-0", "ann-1"]
    assert report["n_answers"] == 400 and report["n_unclear"] == 0
    for name in LABEL_NAMES:
        r = report["labels"][name]
        assert r["kappa_kind"] == "cohen" and r["kappa_pairs"] == 1
        assert r["kappa_ci"][0] <= r["kappa"] <= r["kappa_ci"][1]
        assert r["alpha_ci"][0] <= r["alpha"] <= r["alpha_ci"][1]
        assert r["kappa"] == pytest.approx(expected_kappa(0.3, 0.1), abs=0.15)
        assert 0.15 < r["prevalence"] < 0.45
        assert type(r["kappa"]) is float and type(r["n_posts_double"]) is int
    s = report["set"]
    assert s["alpha_ci"][0] <= s["alpha"] <= s["alpha_ci"][1] and s["n_units"] == 200 * L
    text = format_report(report)
    assert all(name in text for name in LABEL_NAMES) and "all labels (set)" in text and "*" not in text


def test_report_more_annotators_missing_data_and_undefined_labels():
    answers = simulate(7, 150, 3, flip=0.1, per_post=2)
    # one label nobody ever sets to 1: its statistics are undefined, reported as None
    for a in answers:
        a["labels"]["first_hand"] = 0
    answers.append(answer("solo", "ann-0", [1] * L))  # answered once: counted, not in the agreement
    answers.append(answer("solo", "ann-1", [0] * L, unclear=True))
    report = agreement_report(answers, n_boot=100, seed=0)
    json.dumps(report, allow_nan=False)
    assert report["n_posts"] == 151 and report["n_posts_double"] == 150 and report["n_unclear"] == 1
    r = report["labels"]["effect_beneficial"]
    assert r["kappa_kind"] == "mean_pairwise_cohen" and r["kappa_pairs"] == 3
    assert r["kappa_ci"][0] <= r["kappa"] <= r["kappa_ci"][1]
    assert any("mean of Cohen's kappa over 3 annotator pairs" in n for n in report["notes"])
    fh = report["labels"]["first_hand"]
    assert fh["kappa"] is None and fh["alpha"] is None and fh["alpha_ci"] is None and fh["n_posts"] == 151
    text = format_report(report)
    assert "undefined" in text and "* mean of Cohen's kappa" in text


def test_report_says_how_many_resamples_were_undefined():
    ones, zeros = [1] * L, [0] * L
    answers = [answer("p1", "ann-1", ones), answer("p1", "ann-2", ones),
               answer("p2", "ann-1", zeros), answer("p2", "ann-2", zeros)]
    report = agreement_report(answers, n_boot=100, seed=0)
    r = report["labels"]["first_hand"]
    assert r["alpha"] == 1.0 and 20 < r["alpha_ci_skipped"] < 80 and r["alpha_ci"] == [1.0, 1.0]
    assert f"note: first_hand alpha: {r['alpha_ci_skipped']} of 100 resamples undefined" in format_report(report)


def test_report_of_no_answers():
    report = agreement_report([], n_boot=10)
    json.dumps(report, allow_nan=False)
    assert report["n_posts"] == 0 and report["set"]["alpha"] is None
    assert all(r["kappa"] is None and r["prevalence"] is None for r in report["labels"].values())
    assert "undefined" in format_report(report)
