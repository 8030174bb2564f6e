"""The evaluation run: the trained model beside two baselines on the gold test split.

One function, :func:`evaluate_model`, trains both baselines on the train split (the TF-IDF one
tunes its thresholds on validation), scores the model and the baselines on the test split, and
writes the report (markdown, JSON, PNG plots) into the model's folder; the headline figures also go
into ``tagger.json``. The model reads each post exactly as the tag script does: windows of
sentences, logits pooled by max, calibrated by the temperatures in ``tagger.json``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from forum_anecdotes.labels import LABEL_NAMES


def post_logits(tagger, texts: list[str]) -> np.ndarray:
    """Post-level raw logits: the maximum over each post's windows, as the tag script pools them.

    Args:
        tagger: a :class:`forum_anecdotes.models.tag.Tagger`.
        texts: the posts (title and text joined).

    Returns:
        posts x labels.
    """
    windows, owner = [], []
    for i, text in enumerate(texts):
        for window in tagger.windows(text) or [text]:
            windows.append(window)
            owner.append(i)
    logits = tagger.logits(windows)
    out = np.full((len(texts), logits.shape[1]), -np.inf, dtype=np.float32)
    np.maximum.at(out, np.array(owner), logits)
    return out


def evaluate_model(*, model_dir: str | os.PathLike, raw_dir: str | os.PathLike, key: bytes, n_boot: int = 1000,
                   seed: int = 0) -> dict[str, Any]:
    """Score the model and the baselines on the test split and write the report into ``model_dir``.

    Args:
        model_dir: the trained model's folder (with ``tagger.json``).
        raw_dir: the raw-data folder, to re-attach withheld text (PsyTAR, reddit_threads).
        key: the key the corpus was built with.
        n_boot: bootstrap resamples for the intervals.
        seed: seed of the bootstrap.

    Returns:
        The report (as written to ``report.json``).
    """
    from forum_anecdotes.models.baselines import LexiconRuleBaseline, TfidfLogRegBaseline
    from forum_anecdotes.models.data import label_arrays, load_training_data
    from forum_anecdotes.models.report import evaluation_report, write_report
    from forum_anecdotes.models.spec import load_spec, save_spec
    from forum_anecdotes.models.tag import Tagger

    model_dir = Path(model_dir)
    data = load_training_data(raw_dir=raw_dir, key=key)
    values, known = label_arrays(data)
    y = values.astype(np.int8)
    parts = {s: (data["split"] == s).to_numpy() for s in ("train", "validation", "test")}
    texts = {s: data.loc[m, "text"].tolist() for s, m in parts.items()}

    rules = LexiconRuleBaseline()
    rules.fit(texts["train"], y[parts["train"]], known[parts["train"]])
    tfidf = TfidfLogRegBaseline(seed=seed)
    tfidf.fit(texts["train"], y[parts["train"]], known[parts["train"]],
              validation=(texts["validation"], y[parts["validation"]], known[parts["validation"]]))

    tagger = Tagger(model_dir)
    spec = tagger.spec
    raw = post_logits(tagger, texts["test"])
    before = 1.0 / (1.0 + np.exp(-raw))
    calibrated = np.array([[spec.calibrate(name, float(v)) for name, v in zip(LABEL_NAMES, row)] for row in raw])
    thresholds = [spec.thresholds[name] for name in LABEL_NAMES]
    calibration = {"before": before, **spec.calibration}
    report = evaluation_report(
        y=y[parts["test"]], known=known[parts["test"]], sources=data.loc[parts["test"], "source"].tolist(),
        systems={spec.name: (calibrated, thresholds),
                 rules.name: (rules.predict_proba(texts["test"]), rules.thresholds),
                 tfidf.name: (tfidf.predict_proba(texts["test"]), tfidf.thresholds)},
        calibration=calibration, n_boot=n_boot, seed=seed)
    report["data"] = {s: int(m.sum()) for s, m in parts.items()}
    report["modes"] = _mode_changes(model_dir, texts["test"], y[parts["test"]], known[parts["test"]], calibrated,
                                    thresholds, spec)
    write_report(report, model_dir, title=f"Evaluation of {spec.name} {spec.version} on the gold test split")
    spec = load_spec(model_dir)
    spec.metrics = {**spec.metrics, "test": _headline(report, spec.name)}
    save_spec(spec, model_dir)
    return report


def _headline(report: dict[str, Any], model: str) -> dict[str, Any]:
    """The model's test figures for ``tagger.json``: per-label F1 and the macro average."""
    systems = report.get("systems", {})
    figures = systems.get(model, {}).get("overall", systems.get(model, {}))
    labels = figures.get("labels", {})
    return {"f1": {name: labels.get(name, {}).get("f1") for name in LABEL_NAMES},
            "macro_f1": (figures.get("macro") or {}).get("f1")}


#: The faster modes the evaluation scores beside fp32: those that run on every CPU.
EVALUATED_MODES = ("onnx-fp32", "int8", "onnx-int8")


def _mode_changes(model_dir, texts, y, known, fp32_probs, thresholds, spec) -> dict[str, Any]:
    """Macro-F1 on the test split in fp32 and in each faster CPU mode, and how many decisions change."""
    from forum_anecdotes.models.metrics import label_metrics
    from forum_anecdotes.models.tag import Tagger

    fp32 = label_metrics(y, known, fp32_probs, thresholds, n_boot=0)
    out = {"fp32": {"macro_f1": fp32["macro"]["f1"]}}
    for mode in EVALUATED_MODES:
        raw = post_logits(Tagger(model_dir, mode=mode), texts)
        probs = np.array([[spec.calibrate(name, float(v)) for name, v in zip(LABEL_NAMES, row)] for row in raw])
        changed = (probs >= np.array(thresholds)) != (fp32_probs >= np.array(thresholds))
        scored = label_metrics(y, known, probs, thresholds, n_boot=0)
        # per-label counts of each mode: the analysis corrects a mode's tags with that mode's own error rates
        out[mode] = {"macro_f1": scored["macro"]["f1"], "labels": scored["labels"],
                     "changed_decisions": int(changed.sum()), "decisions": int(changed.size)}
        out[mode]["macro_f1_change"] = (None if out[mode]["macro_f1"] is None or out["fp32"]["macro_f1"] is None
                                        else out[mode]["macro_f1"] - out["fp32"]["macro_f1"])
    return out
