"""Two baselines the classifier is compared with, both predicting all five labels.

* :class:`LexiconRuleBaseline`: hand-written rules over the substance lexicon and cue words.
  It learns nothing; it shows how far the lexicon alone goes.
* :class:`TfidfLogRegBaseline`: word 1-2 gram TF-IDF and one logistic regression per label.
  It shows what a bag of words learns from the same training posts as the model.

Both have the interface the evaluation expects::

    baseline.fit(train_texts, train_y, train_known, validation=(val_texts, val_y, val_known))
    probs = baseline.predict_proba(test_texts)          # posts x labels, LABEL_NAMES order
    baseline.thresholds                                 # per label, predict 1 when probs >= it
    baseline.name

They are fitted on the train split only; the validation split is used only to tune the logistic
regression's thresholds. Labels are trained on the posts where they are known: an unknown label is
not a negative.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from forum_anecdotes.annotation.batches import LABEL_CUES
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models.calibrate import tune_thresholds

Texts = Sequence["str | None"]


def _texts(texts: Texts) -> list[str]:
    # Posts of sources whose text is withheld have None; they read as empty posts.
    return ["" if t is None else str(t) for t in texts]


def _check_training(texts: list[str], y: Any, known: Any) -> tuple[np.ndarray, np.ndarray]:
    y, known = np.asarray(y), np.asarray(known, dtype=bool)
    if y.shape != known.shape or y.shape != (len(texts), len(LABEL_NAMES)):
        raise ValueError(f"y and known must be {len(texts)} posts x {len(LABEL_NAMES)} labels, not {y.shape}, {known.shape}")
    return np.where(known, y, 0).astype(np.int8), known


# ------------------------------------------------------------------------------------------------
# Rules

#: Classes whose withdrawal is antidepressant discontinuation (ssri_withdrawal).
ANTIDEPRESSANT_CLASSES = frozenset({"ssri", "snri", "other_antidepressant"})
#: Classes whose withdrawal is that of a drug of dependence (abuse_harm).
DEPENDENCE_CLASSES = frozenset({"opioid", "benzodiazepine", "z_drug", "gabapentinoid", "stimulant",
                                "alcohol", "cannabis", "nicotine", "kratom"})
#: Filed as an antidepressant by the lexicon but withdrawn from like an opioid: counts as a drug of
#: dependence, not as an antidepressant.
DEPENDENCE_NAMES = frozenset({"tianeptine"})

# Withdrawal cues. Narrower than LABEL_CUES["ssri_withdrawal"], which also has "stopped" and
# "quit": fine for drawing posts, but "I stopped Zoloft because of the weight gain" is no withdrawal.
WITHDRAWAL = re.compile(
    r"\b(brain ?zaps?|zaps|withdrawals?|w/d|wd|discontinuation|taper\w*|wean\w*|cold turkey|"
    r"missed (?:a |my |one )?dos(?:e|es)|(?:coming|came|come|get|got|getting|went) off|dope ?sick|detox\w*)\b",
    re.I,
)
# Misuse and harm cues (LABEL_CUES["abuse_harm"] without "iv" and "nod\w*", which match Roman
# numerals and "nodes").
ABUSE = re.compile(
    r"\b(addict\w*|relaps\w*|overdos\w*|od'?d|craving\w*|tolerance|dependen(?:t|ce|cy)|hooked on|"
    r"dope ?sick|clean (?:for|since)|days? clean|snort\w*|inject\w*|shoot(?:ing)? up|nodding (?:off|out)|"
    r"rehab|fiend\w*|binge\w*|blackout|blacked out)\b",
    re.I,
)
# First-person use: the writer takes, took or stopped a substance.
FIRST_PERSON_USE = re.compile(
    r"\b(i (?:\w+ly )?(?:took|take|taking|tried|used|use|started|stopped|quit|tapered|switched|smoked|"
    r"drank|snorted|popped|dosed|injected|was on|am on|got prescribed|was prescribed)|"
    r"i'?m (?:on|taking|using|tapering|prescribed)|"
    r"(?:i'?ve|i have) (?:been (?:on|taking|using|prescribed)|taken|tried|used|started|stopped|quit)|"
    r"my (?:(?:last|first|next|daily) )?(?:dose|dosage|doctor|doc|psychiatrist|pdoc|gp|prescription|script|taper)|"
    r"(?:put|started|switched|got) me on|prescribed me|made me|gave me|for me)\b",
    re.I,
)
# Side effects and symptoms, beyond LABEL_CUES["effect_adverse"].
ADVERSE_EXTRA = re.compile(
    r"\b(fatigue|tired|drows\w+|exhaust\w+|weight gain|gained weight|put on weight|dry mouth|tremors?|"
    r"rash|hair loss|nightmares|vivid dreams|zombie|apath\w+|anorgasmia|erectile|palpitations|"
    r"constipat\w+|diarrh\w+|vomit\w*|made me (?:feel )?(?:sick|worse|awful|terrible|suicidal|anxious))\b",
    re.I,
)
# Benefit, beyond LABEL_CUES["effect_beneficial"] (a bare "worked" is too often a job).
BENEFIT_EXTRA = re.compile(
    r"\b(it (?:really )?work(?:s|ed)|work(?:s|ed) for me|work(?:s|ed) wonders|life ?changing|lifesaver|"
    r"miracle|much better|feeling better|relieved|helpful)\b",
    re.I,
)
# A cue is negated when one of these words is at most two words before it ("no side effects",
# "didn't really help", "never had withdrawal").
_NEGATION = re.compile(
    r"\b(?:no|not|never|nothing|without|zero|n't|didn'?t|doesn'?t|don'?t|hasn'?t|haven'?t|wasn'?t|isn'?t|"
    r"won'?t|barely)\b\W*(?:\w+\W+){0,2}$",
    re.I,
)
#: How close (in characters) a first-person cue must be to a substance mention.
FIRST_HAND_WINDOW = 100


def _unnegated(patterns: Sequence[re.Pattern[str]], text: str) -> list[re.Match[str]]:
    """Matches of any pattern that no negation word precedes."""
    return [m for p in patterns for m in p.finditer(text) if not _NEGATION.search(text[max(0, m.start() - 40) : m.start()])]


class LexiconRuleBaseline:
    """A hand-written rule set: a label is 1 when the post names a relevant substance and a cue of the label.

    The rules (cues are matched case-insensitively on whole words; a cue preceded by a negation
    such as "no", "never" or "didn't" within two words does not count, except for first_hand):

    * ``ssri_withdrawal``: an antidepressant (class ssri, snri or other_antidepressant, not
      tianeptine) AND a withdrawal cue (:data:`WITHDRAWAL`: withdrawal, brain zaps, taper,
      wean, cold turkey, missed dose, coming off...).
    * ``abuse_harm``: any substance AND a misuse cue (:data:`ABUSE`: addiction, relapse,
      overdose, craving, tolerance, dependence, injecting, snorting, rehab...), OR a drug of
      dependence (:data:`DEPENDENCE_CLASSES`, or tianeptine) AND a withdrawal cue.
    * ``first_hand``: a first-person use cue (:data:`FIRST_PERSON_USE` or
      ``LABEL_CUES["first_hand"]``: "I took", "I'm on", "my doctor", "put me on", "for me"...)
      within :data:`FIRST_HAND_WINDOW` characters of a substance mention. Not negation-checked:
      "I never took it again" is still own use.
    * ``effect_adverse``: any substance AND a side-effect or symptom cue
      (``LABEL_CUES["effect_adverse"]`` or :data:`ADVERSE_EXTRA`).
    * ``effect_beneficial``: any substance AND a benefit cue (``LABEL_CUES["effect_beneficial"]``
      or :data:`BENEFIT_EXTRA`: helped, relief, works for me, feel better...).

    Known limits, on purpose (it is a baseline): no attribution (whose use, which drug caused the
    effect), so withdrawal symptoms also fire effect_adverse, and hypothetical or asked-about
    effects fire like reported ones.

    Args:
        lexicon: a :class:`~forum_anecdotes.corpus.lexicon.SubstanceLexicon`; default the packaged one.
        smoothing: the probability of a label whose rule does not fire (one minus it when it
            does), so that probabilities are never exactly 0 or 1.
    """

    name = "lexicon_rules"

    def __init__(self, *, lexicon: Any = None, smoothing: float = 0.02) -> None:
        if not 0 <= smoothing < 0.5:
            raise ValueError("smoothing must be in [0, 0.5)")
        if lexicon is None:
            from forum_anecdotes.corpus.lexicon import default_lexicon

            lexicon = default_lexicon()
        self.lexicon = lexicon
        self.smoothing = float(smoothing)
        #: The rules fire at 1 - smoothing, so 0.5 separates firing from not.
        self.thresholds = np.full(len(LABEL_NAMES), 0.5)

    def fit(self, texts: Texts, y: Any, known: Any, *, validation: Any = None) -> LexiconRuleBaseline:
        """Check the training data and learn nothing: the rules are fixed.

        Args:
            texts: training posts.
            y: gold values (posts x labels).
            known: bool mask of known cells.
            validation: ignored (the thresholds stay 0.5); accepted for a common interface.

        Returns:
            self.
        """
        _check_training(_texts(texts), y, known)
        return self

    def rule_hits(self, text: str | None) -> dict[str, bool]:
        """Which label rules fire on one post.

        Args:
            text: the post (None reads as empty).

        Returns:
            label -> whether its rule fires, for every label of :data:`LABEL_NAMES`.
        """
        text = text or ""
        mentions = self.lexicon.find(text)
        if not mentions:
            return dict.fromkeys(LABEL_NAMES, False)  # every rule needs a substance
        antidepressant = any(m.drug_class in ANTIDEPRESSANT_CLASSES and m.name not in DEPENDENCE_NAMES for m in mentions)
        dependence = any(m.drug_class in DEPENDENCE_CLASSES or m.name in DEPENDENCE_NAMES for m in mentions)
        withdrawal = bool(_unnegated([WITHDRAWAL], text))
        first_person = [m for p in (FIRST_PERSON_USE, LABEL_CUES["first_hand"]) for m in p.finditer(text)]
        hits = {
            "effect_beneficial": bool(_unnegated([LABEL_CUES["effect_beneficial"], BENEFIT_EXTRA], text)),
            "effect_adverse": bool(_unnegated([LABEL_CUES["effect_adverse"], ADVERSE_EXTRA], text)),
            "ssri_withdrawal": antidepressant and withdrawal,
            "abuse_harm": bool(_unnegated([ABUSE], text)) or (dependence and withdrawal),
            "first_hand": any(
                c.start() - FIRST_HAND_WINDOW <= m.end and m.start <= c.end() + FIRST_HAND_WINDOW
                for c in first_person for m in mentions
            ),
        }
        return {name: hits[name] for name in LABEL_NAMES}

    def predict_proba(self, texts: Texts) -> np.ndarray:
        """Rule outputs as probabilities.

        Args:
            texts: posts (None reads as empty).

        Returns:
            (posts x labels) array: 1 - smoothing where a rule fires, smoothing elsewhere.
        """
        fired = np.array([list(self.rule_hits(t).values()) for t in _texts(texts)], dtype=bool)
        fired = fired.reshape(-1, len(LABEL_NAMES))
        return np.where(fired, 1.0 - self.smoothing, self.smoothing)


# ------------------------------------------------------------------------------------------------
# TF-IDF and logistic regression


class TfidfLogRegBaseline:
    """Word 1-2 gram TF-IDF and one class-balanced logistic regression per label.

    The vocabulary is learnt from all training posts (it uses no labels); each label's regression
    is fitted on the training posts where that label is known. A label whose known training
    values are all of one class (or that has none) predicts its known positive rate (0.5 without
    any known value) for every post. Thresholds are tuned on the validation split to maximise
    F1 (:func:`~forum_anecdotes.models.calibrate.tune_thresholds`, the model's own rule); without it they stay 0.5.

    Args:
        min_df: a term must occur in at least this many training posts.
        ngram_range: word n-gram lengths.
        C: inverse regularisation strength of the regressions.
        max_features: cap on the vocabulary (None: no cap).
        seed: random state of the solver.
    """

    name = "tfidf_logreg"

    def __init__(self, *, min_df: int = 2, ngram_range: tuple[int, int] = (1, 2), C: float = 1.0,
                 max_features: int | None = None, seed: int = 0) -> None:
        self.min_df, self.ngram_range, self.C = min_df, tuple(ngram_range), C
        self.max_features, self.seed = max_features, seed
        self.thresholds = np.full(len(LABEL_NAMES), 0.5)
        self.vectorizer: Any = None
        self.models: list[Any] = []  # per label: a LogisticRegression, or a constant probability

    def fit(self, texts: Texts, y: Any, known: Any, *, validation: Any = None) -> TfidfLogRegBaseline:
        """Fit on the training posts, then tune thresholds on validation posts when given.

        Args:
            texts: training posts (None reads as empty).
            y: gold values (posts x labels).
            known: bool mask of known cells; a label is trained on its known posts only.
            validation: ``(texts, y, known)`` of the validation split, for the thresholds.

        Returns:
            self.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts = _texts(texts)
        y, known = _check_training(texts, y, known)
        self.vectorizer = TfidfVectorizer(ngram_range=self.ngram_range, min_df=self.min_df, sublinear_tf=True,
                                          max_features=self.max_features)
        features = self.vectorizer.fit_transform(texts)
        self.models = []
        for j in range(len(LABEL_NAMES)):
            rows = known[:, j]
            yj = y[rows, j]
            if yj.size == 0 or yj.min() == yj.max():
                self.models.append(float(yj.mean()) if yj.size else 0.5)
                continue
            model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000, random_state=self.seed)
            self.models.append(model.fit(features[rows], yj))
        if validation is not None:
            val_texts, val_y, val_known = validation
            self.thresholds = tune_thresholds(self.predict_proba(val_texts), val_y, val_known)
        return self

    def predict_proba(self, texts: Texts) -> np.ndarray:
        """Probabilities of every label.

        Args:
            texts: posts (None reads as empty).

        Returns:
            (posts x labels) array of probabilities.
        """
        if self.vectorizer is None:
            raise RuntimeError("fit the baseline first")
        features = self.vectorizer.transform(_texts(texts))
        columns = [np.full(features.shape[0], m) if isinstance(m, float) else m.predict_proba(features)[:, 1]
                   for m in self.models]
        return np.column_stack(columns)
