"""The onnx-int8 mode on the tiny random model: export once into the cache, a new file for a changed
model, logits close to fp32, and the mode refused off the CPU."""
import numpy as np
import pytest
import torch
from tiny_model import build_tiny_model

from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models import onnx_int8
from forum_anecdotes.models.onnx_int8 import OnnxSequenceClassifier, cache_dir, model_digest, quantised_onnx
from forum_anecdotes.models.tag import ModeUnavailable, Tagger, check_mode

TEXTS = ["I took 50mg of sertraline and slept badly.", "Brain zaps for a week after stopping.",
         "Is kratom legal in Ohio?", "Felt calm and clear-headed, no nausea at all this time around, which surprised me."]


def test_the_export_is_made_once_and_then_read_from_the_cache(model_dir, tmp_path, monkeypatch):
    path = quantised_onnx(model_dir, cache=tmp_path)
    assert path.parent == tmp_path and path.name == f"{model_digest(model_dir)}.int8.onnx" and path.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # the fp32 export was a temporary file

    def no_second_export(*args, **kwargs):
        raise AssertionError("exported again")
    monkeypatch.setattr(torch.onnx, "export", no_second_export)
    assert quantised_onnx(model_dir, cache=tmp_path) == path


def test_a_changed_model_gets_its_own_file(model_dir, tmp_path):
    other = build_tiny_model(tmp_path / "other", seed=1)
    assert model_digest(other) != model_digest(model_dir)
    assert model_digest(model_dir) == model_digest(model_dir)
    with pytest.raises(OSError, match="no config.json"):
        model_digest(tmp_path)


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(onnx_int8.CACHE_ENV_VAR, str(tmp_path))
    assert cache_dir() == tmp_path / "onnx"
    monkeypatch.delenv(onnx_int8.CACHE_ENV_VAR)
    assert cache_dir().parts[-2:] == ("forum-anecdotes", "onnx")


def test_onnx_int8_logits_are_close_to_fp32(model_dir):
    fp32 = Tagger(model_dir, key=b"k" * 32)
    fast = Tagger(model_dir, mode="onnx-int8", key=b"k" * 32)
    assert isinstance(fast.model, OnnxSequenceClassifier)
    exact, quantised = fp32.logits(TEXTS), fast.logits(TEXTS)
    assert quantised.shape == exact.shape == (len(TEXTS), len(LABEL_NAMES))
    # int8 weights and activations move the logits a little, never far; they still follow fp32's
    assert np.abs(quantised - exact).max() < 0.25
    assert np.corrcoef(quantised.ravel(), exact.ravel())[0, 1] > 0.98
    tagged = list(fast.tag([{"id": str(i), "text": t} for i, t in enumerate(TEXTS)]))
    assert [t["id"] for t in tagged] == ["0", "1", "2", "3"]
    assert all(0 <= p <= 1 for t in tagged for p in t["scores"].values())


def test_onnx_int8_is_refused_off_the_cpu(monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    with pytest.raises(ModeUnavailable, match="onnx-int8 is int8 quantisation for the CPU"):
        check_mode("onnx-int8", "cuda")
