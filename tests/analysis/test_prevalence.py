"""Prevalence estimates: Rogan–Gladen correction, intervals, the long table, gold comparison, error rates."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forum_anecdotes.analysis.prevalence import (
    ESTIMATE_COLUMNS,
    ErrorRates,
    error_rates_from_report,
    error_rates_table,
    gold_comparison,
    prevalence_estimates,
    prevalence_table,
    rogan_gladen,
)
from forum_anecdotes.labels import LABEL_NAMES

REAL_REPORT = Path(__file__).resolve().parents[2] / "models" / "minilm-anecdotes" / "report.json"
GOOD = ErrorRates(tp=900, fp=50, tn=950, fn=100)  # se 0.9, sp 0.95


def synthetic_report(**overrides) -> dict:
    labels = {name: {"n_known": 100, "support": 20, "predicted": 25, "precision": 0.6, "recall": 0.75}
              for name in LABEL_NAMES}
    for name, entry in overrides.items():
        labels[name] = entry
    return {"model": "m1", "systems": {"m1": {"overall": {"labels": labels}},
                                       "other": {"overall": {"labels": {}}}}}


# ---------------------------------------------------------------- rogan_gladen and ErrorRates

def test_rogan_gladen_known_value_and_vectorised():
    assert rogan_gladen(0.3, 0.9, 0.95) == pytest.approx((0.3 + 0.95 - 1) / 0.85)
    out = rogan_gladen(np.array([0.3, 0.5]), 0.9, 0.95)
    assert out.shape == (2,)
    assert out[1] == pytest.approx(0.45 / 0.85)


def test_rogan_gladen_clips_and_says_nothing_for_a_useless_test():
    assert rogan_gladen(0.01, 0.9, 0.95) == 0.0  # below the false-positive rate
    assert rogan_gladen(0.99, 0.9, 0.95) == 1.0  # above the sensitivity
    assert np.isnan(rogan_gladen(0.3, 0.5, 0.5))  # se + sp = 1
    assert np.isnan(rogan_gladen(0.3, 0.4, 0.5))  # worse than chance
    assert np.isnan(rogan_gladen(np.nan, 0.9, 0.95))


def test_error_rates_properties_and_validation():
    r = ErrorRates(tp=8, fp=3, tn=27, fn=2)
    assert r.sensitivity == pytest.approx(0.8)
    assert r.specificity == pytest.approx(0.9)
    assert r.n == 40
    assert np.isnan(ErrorRates(0, 1, 1, 0).sensitivity)
    with pytest.raises(ValueError, match="fp"):
        ErrorRates(tp=1, fp=-1, tn=1, fn=1)
    with pytest.raises(ValueError, match="tp"):
        ErrorRates(tp=1.5, fp=1, tn=1, fn=1)


# ---------------------------------------------------------------- prevalence_estimates

def test_perfect_classifier_corrected_equals_raw_with_wilson_like_width():
    perfect = ErrorRates(tp=10**6, fp=0, tn=10**6, fn=0)
    est = prevalence_estimates([1000, 400], [300, 40], perfect, n_draws=2000)
    assert list(est.columns) == list(ESTIMATE_COLUMNS)
    assert np.allclose(est["corrected"], est["raw"], atol=1e-4)
    raw_width = est["raw_high"] - est["raw_low"]
    corrected_width = est["corrected_high"] - est["corrected_low"]
    assert ((corrected_width / raw_width).between(0.85, 1.15)).all()
    assert (est["corrected_low"] < est["raw"]).all() and (est["raw"] < est["corrected_high"]).all()


def test_corrected_interval_covers_the_truth_in_simulations():
    truth, se, sp, test_pos, test_neg, posts = 0.2, 0.8, 0.9, 40, 160, 2000
    rng = np.random.default_rng(12345)
    covered = 0
    for i in range(200):
        tp, tn = rng.binomial(test_pos, se), rng.binomial(test_neg, sp)
        rates = ErrorRates(tp=tp, fp=test_neg - tn, tn=tn, fn=test_pos - tp)
        tagged = rng.binomial(posts, truth * se + (1 - truth) * (1 - sp))
        est = prevalence_estimates([posts], [tagged], rates, n_draws=1000, seed=i).iloc[0]
        covered += est["corrected_low"] <= truth <= est["corrected_high"]
    assert covered / 200 >= 0.90


def test_interval_is_wider_with_fewer_error_rate_counts():
    few = ErrorRates(tp=8, fp=2, tn=18, fn=2)
    many = ErrorRates(tp=800, fp=200, tn=1800, fn=200)
    assert few.sensitivity == many.sensitivity and few.specificity == many.specificity
    a = prevalence_estimates([5000], [1500], few, n_draws=2000).iloc[0]
    b = prevalence_estimates([5000], [1500], many, n_draws=2000).iloc[0]
    assert a["corrected"] == pytest.approx(b["corrected"])
    assert (a["corrected_high"] - a["corrected_low"]) > 2 * (b["corrected_high"] - b["corrected_low"])
    assert a["raw_low"] == b["raw_low"]  # the raw interval ignores the error rates


def test_empty_cells_are_nan_and_results_are_seeded():
    est = prevalence_estimates([0, 100], [0, 30], GOOD, n_draws=500, seed=3)
    assert est.iloc[0].isna().all()
    assert est.iloc[1].notna().all()
    again = prevalence_estimates([0, 100], [0, 30], GOOD, n_draws=500, seed=3)
    pd.testing.assert_frame_equal(est, again)
    with pytest.raises(ValueError, match="positives"):
        prevalence_estimates([10], [11], GOOD)


def test_too_many_useless_draws_give_no_corrected_interval():
    shaky = ErrorRates(tp=3, fp=1, tn=3, fn=1)  # se = sp = 0.75, but from 8 posts
    est = prevalence_estimates([1000], [500], shaky, n_draws=1000).iloc[0]
    assert est["corrected"] == pytest.approx(0.5)
    assert np.isnan(est["corrected_low"]) and np.isnan(est["corrected_high"])


# ---------------------------------------------------------------- prevalence_table

def make_counts() -> pd.DataFrame:
    rows = [("overall", "all", 1000, [300, 200, 40, 250, 600]),
            ("year", 2015, 20, [6, 4, 1, 5, 12]),  # an int value: kept as the string "2015"
            ("group", "opiates", 500, [150, 100, 3, 120, 300])]
    frame = pd.DataFrame([{"dimension": d, "value": v, "posts": n, **dict(zip(LABEL_NAMES, k))} for d, v, n, k in rows])
    return frame


def test_prevalence_table_order_columns_and_small_flags():
    rates = {name: GOOD for name in LABEL_NAMES}
    table = prevalence_table(make_counts(), rates, n_draws=300)
    assert list(table.columns) == ["dimension", "value", "label", "posts", "positives", *ESTIMATE_COLUMNS, "small", "note"]
    assert len(table) == 3 * len(LABEL_NAMES)
    assert list(table["dimension"]) == ["overall"] * 5 + ["year"] * 5 + ["group"] * 5
    assert list(table["label"]) == list(LABEL_NAMES) * 3
    assert list(table["value"].unique()) == ["all", "2015", "opiates"]
    year = table[table["dimension"] == "year"]
    assert year["small"].all() and year["note"].str.contains("fewer than 30 posts").all()
    group = table[table["dimension"] == "group"].set_index("label")
    assert group.at["ssri_withdrawal", "small"]
    assert "fewer than 5 tagged posts" in group.at["ssri_withdrawal", "note"]
    assert not group.at["first_hand", "small"] and group.at["first_hand", "note"] == ""
    overall = table.iloc[0]
    assert overall["raw"] == pytest.approx(0.3)
    assert overall["corrected"] == pytest.approx(rogan_gladen(0.3, 0.9, 0.95))


def test_prevalence_table_refuses_bad_input():
    rates = {name: GOOD for name in LABEL_NAMES}
    with pytest.raises(ValueError, match="text"):
        prevalence_table(make_counts().assign(text="a post"), rates)
    with pytest.raises(ValueError, match="first_hand"):
        prevalence_table(make_counts().drop(columns="first_hand"), rates)
    with pytest.raises(ValueError, match="abuse_harm"):
        prevalence_table(make_counts(), {k: v for k, v in rates.items() if k != "abuse_harm"})


def test_clipped_correction_is_noted():
    counts = pd.DataFrame([{"dimension": "overall", "value": "all", "posts": 1000,
                            **{name: 10 for name in LABEL_NAMES}}])  # 1% tagged, below the 5% false-positive rate
    table = prevalence_table(counts, {name: GOOD for name in LABEL_NAMES}, n_draws=200)
    assert (table["corrected"] == 0).all()
    assert table["note"].str.contains("clipped to 0").all()


# ---------------------------------------------------------------- gold_comparison

def test_gold_comparison_covers_true_and_false():
    rates = {name: GOOD for name in LABEL_NAMES}
    # apparent 0.22 <=> true 0.2 with se 0.9, sp 0.95
    gold = pd.DataFrame({"posts": [2000, 2000, 0], "gold_positive": [400, 100, 0], "tagged_positive": [440, 440, 0]},
                        index=pd.Index(["effect_adverse", "effect_beneficial", "first_hand"], name="label"))
    out = gold_comparison(gold, rates, n_draws=1000)
    assert list(out.index) == ["effect_beneficial", "effect_adverse", "first_hand"]  # label order
    assert out.at["effect_adverse", "covers"] is True
    assert out.at["effect_beneficial", "covers"] is False
    assert out.at["first_hand", "covers"] is None
    assert out.at["effect_adverse", "gold_prevalence"] == pytest.approx(0.2)
    assert out.at["first_hand", "small"] and not out.at["effect_adverse", "small"]


def test_gold_comparison_empty_and_errors():
    rates = {name: GOOD for name in LABEL_NAMES}
    empty = gold_comparison(pd.DataFrame(columns=["posts", "gold_positive", "tagged_positive"]), rates)
    assert empty.empty and "covers" in empty.columns
    bad = pd.DataFrame({"posts": [10], "gold_positive": [1], "tagged_positive": [1]}, index=["nope"])
    with pytest.raises(ValueError, match="nope"):
        gold_comparison(bad, rates)


# ---------------------------------------------------------------- error rates from the report

def test_error_rates_from_synthetic_report(tmp_path):
    rates = error_rates_from_report(synthetic_report())
    assert list(rates) == list(LABEL_NAMES)
    assert rates["first_hand"] == ErrorRates(tp=15, fp=10, tn=70, fn=5)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(synthetic_report()))
    assert error_rates_from_report(path) == rates
    with pytest.raises(ValueError, match=rf"{path.name}.*'other' has no label"):
        error_rates_from_report(path, system="other")
    with pytest.raises(ValueError, match="no system 'missing'"):
        error_rates_from_report(path, system="missing")


def test_error_rates_from_report_errors_name_the_label():
    broken = synthetic_report(ssri_withdrawal={"n_known": 10, "support": 5, "predicted": 2, "recall": 1.0})
    with pytest.raises(ValueError, match="ssri_withdrawal.*inconsistent"):
        error_rates_from_report(broken)
    report = synthetic_report()
    del report["systems"]["m1"]["overall"]["labels"]["abuse_harm"]
    with pytest.raises(ValueError, match="report dict.*abuse_harm"):
        error_rates_from_report(report)


@pytest.mark.skipif(not REAL_REPORT.exists(), reason="no trained model report here")
def test_error_rates_from_the_real_report():
    report = json.loads(REAL_REPORT.read_text())
    rates = error_rates_from_report(REAL_REPORT)
    labels = report["systems"][report["model"]]["overall"]["labels"]
    for name, r in rates.items():
        assert r.n == labels[name]["n_known"]
        assert r.tp + r.fn == labels[name]["support"]
        assert r.tp + r.fp == labels[name]["predicted"]
        if r.tp + r.fp:
            assert r.tp / (r.tp + r.fp) == pytest.approx(labels[name]["precision"])


def test_error_rates_table():
    table = error_rates_table({"first_hand": ErrorRates(tp=8, fp=3, tn=27, fn=2), "effect_beneficial": GOOD})
    assert list(table.index) == ["effect_beneficial", "first_hand"]
    assert table.at["first_hand", "sensitivity"] == pytest.approx(0.8)
    assert table.at["first_hand", "sensitivity_low"] < 0.8 < table.at["first_hand", "sensitivity_high"]
