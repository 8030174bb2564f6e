"""The two baselines on a tiny invented corpus: interface, rules, training on known cells only."""
import numpy as np
import pytest

from forum_anecdotes.labels import LABEL_NAMES, label_index
from forum_anecdotes.models.baselines import LexiconRuleBaseline, TfidfLogRegBaseline
from forum_anecdotes.models import calibrate
from forum_anecdotes.models.metrics import label_metrics

# Invented posts: (text, the labels that are 1). Every label is known for these.
POSTS = [
    ("Three weeks off Zoloft after a fast taper and the brain zaps are unbearable. I took my last dose on Monday.",
     {"ssri_withdrawal", "first_hand"}),
    ("Missed my dose of effexor yesterday and the withdrawal dizziness is awful.", {"ssri_withdrawal", "first_hand"}),
    ("My brother relapsed on heroin and overdosed last week.", {"abuse_harm"}),
    ("Day four of xanax withdrawal, I can't sleep at all.", {"abuse_harm", "first_hand"}),
    ("I have been on lexapro for a year, it really helped my anxiety.", {"effect_beneficial", "first_hand"}),
    ("Sertraline gave me terrible nausea and killed my libido.", {"effect_adverse", "first_hand"}),
    ("No side effects from bupropion so far, I take 150mg.", {"first_hand"}),
    ("Prozac didn't help at all.", set()),
    ("What a lovely day at the beach with the kids.", set()),
    ("Is it safe to drink coffee in the morning?", set()),
]


def corpus():
    texts = [t for t, _ in POSTS]
    y = np.array([[int(name in labels) for name in LABEL_NAMES] for _, labels in POSTS], dtype=np.int8)
    return texts, y, np.ones_like(y, dtype=bool)


@pytest.fixture(scope="module")
def rules():
    return LexiconRuleBaseline()


def test_rule_baseline_interface(rules):
    texts, y, known = corpus()
    assert rules.fit(texts, y, known) is rules
    probs = rules.predict_proba(texts + [None])
    assert probs.shape == (len(texts) + 1, len(LABEL_NAMES))
    assert ((probs > 0) & (probs < 1)).all()  # smoothed, never exactly 0 or 1
    assert rules.thresholds.tolist() == [0.5] * len(LABEL_NAMES)
    assert rules.name == "lexicon_rules"
    assert (probs[-1] < 0.5).all()  # a withheld text fires nothing


def test_rule_baseline_finds_antidepressant_withdrawal(rules):
    hits = rules.rule_hits(POSTS[0][0])
    assert hits["ssri_withdrawal"] and hits["first_hand"]
    assert not hits["abuse_harm"]  # antidepressant discontinuation is not abuse
    assert rules.rule_hits(POSTS[1][0])["ssri_withdrawal"]


def test_rule_baseline_rules(rules):
    assert rules.rule_hits(POSTS[2][0])["abuse_harm"]  # relapse and overdose cues
    benzo = rules.rule_hits(POSTS[3][0])
    assert benzo["abuse_harm"] and not benzo["ssri_withdrawal"]  # withdrawal from a drug of dependence
    lexapro = rules.rule_hits(POSTS[4][0])
    assert lexapro["effect_beneficial"] and lexapro["first_hand"]
    assert rules.rule_hits(POSTS[5][0])["effect_adverse"]
    assert not rules.rule_hits(POSTS[6][0])["effect_adverse"]  # "no side effects" is negated
    assert not rules.rule_hits(POSTS[7][0])["effect_beneficial"]  # "didn't help"
    assert not any(rules.rule_hits(POSTS[8][0]).values())
    # a cue without any substance fires nothing
    assert not any(rules.rule_hits("The brain zaps and cravings are bad; it helped to walk.").values())


def test_rule_baseline_scores_the_invented_corpus(rules):
    texts, y, known = corpus()
    m = label_metrics(y, known, rules.predict_proba(texts), rules.thresholds, n_boot=0)
    assert m["labels"]["ssri_withdrawal"]["f1"] == 1.0
    assert m["macro"]["f1"] > 0.7


def templated(n, *, seed):
    """A larger invented corpus from templates: each label has its own words, plus filler."""
    rng = np.random.default_rng(seed)
    cue = {"effect_beneficial": "it helped a lot", "effect_adverse": "awful nausea side effects",
           "ssri_withdrawal": "brain zaps after stopping zoloft", "abuse_harm": "relapsed and craving heroin",
           "first_hand": "i took it myself"}
    filler = ["the", "a", "forum", "post", "about", "things", "today", "week", "people"]
    y = (rng.random((n, 5)) < 0.35).astype(np.int8)
    texts = [" ".join([*rng.choice(filler, 6), *(cue[name] for j, name in enumerate(LABEL_NAMES) if y[i, j])])
             for i in range(n)]
    return texts, y


def test_tfidf_baseline_learns_and_tunes_thresholds():
    texts, y = templated(120, seed=0)
    val_texts, val_y = templated(60, seed=1)
    test_texts, test_y = templated(60, seed=2)
    known = np.ones_like(y, dtype=bool)
    model = TfidfLogRegBaseline().fit(texts, y, known, validation=(val_texts, val_y, np.ones_like(val_y, dtype=bool)))
    probs = model.predict_proba(test_texts + [None])
    assert probs.shape == (61, 5) and ((probs >= 0) & (probs <= 1)).all()
    assert model.name == "tfidf_logreg"
    # the model's own threshold rule, on the validation posts
    expected = calibrate.tune_thresholds(model.predict_proba(val_texts), val_y, np.ones_like(val_y, dtype=bool))
    np.testing.assert_array_equal(model.thresholds, expected)
    m = label_metrics(test_y, np.ones_like(test_y, dtype=bool), probs[:-1], model.thresholds, n_boot=0)
    assert m["macro"]["f1"] > 0.9


def test_tfidf_baseline_trains_on_known_cells_only():
    texts, y = templated(120, seed=3)
    rng = np.random.default_rng(4)
    known = rng.random(y.shape) < 0.7
    probs = TfidfLogRegBaseline().fit(texts, y, known).predict_proba(texts)
    flipped = np.where(known, y, 1 - y)  # change every unknown value
    assert np.allclose(TfidfLogRegBaseline().fit(texts, flipped, known).predict_proba(texts), probs)
    # a label known only as negatives cannot be learnt: it predicts its known rate, 0
    j = label_index("abuse_harm")
    only_negative = known.copy()
    only_negative[:, j] = known[:, j] & (y[:, j] == 0)
    constant = TfidfLogRegBaseline().fit(texts, y, only_negative).predict_proba(texts)[:, j]
    assert (constant == 0).all()


def test_baselines_check_shapes():
    texts, y, known = corpus()
    with pytest.raises(ValueError, match="posts x"):
        TfidfLogRegBaseline().fit(texts, y[:, :4], known[:, :4])
    with pytest.raises(RuntimeError, match="fit"):
        TfidfLogRegBaseline().predict_proba(texts)
