"""The ONNX Runtime modes on the tiny random model: each file exported once into the cache, a new file
for a changed model, onnx-fp32 equal to torch's fp32, onnx-int8 close to it, and both refused off the CPU."""
import numpy as np
import pytest
import torch
from tiny_model import build_tiny_model

from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models import onnx_runtime
from forum_anecdotes.models.onnx_runtime import OnnxSequenceClassifier, cache_dir, exported_onnx, model_digest
from forum_anecdotes.models.tag import ModeUnavailable, Tagger, check_mode

TEXTS = ["I took 50mg of sertraline and slept badly.", "Brain zaps for a week after stopping.",
         "Is kratom legal in Ohio?", "Felt calm and clear-headed, no nausea at all this time around, which surprised me."]


def test_each_precision_is_exported_once_and_then_read_from_the_cache(model_dir, tmp_path, monkeypatch):
    fp32 = exported_onnx(model_dir, precision="fp32", cache=tmp_path)
    int8 = exported_onnx(model_dir, precision="int8", cache=tmp_path)
    digest = model_digest(model_dir)
    assert (fp32.name, int8.name) == (f"{digest}.fp32.onnx", f"{digest}.int8.onnx")
    # int8 weights take about a quarter of the space; the temporary files of the export are gone
    assert int8.stat().st_size < 0.6 * fp32.stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fp32.name, int8.name])

    def no_second_export(*args, **kwargs):
        raise AssertionError("exported again")
    monkeypatch.setattr(torch.onnx, "export", no_second_export)
    assert exported_onnx(model_dir, precision="int8", cache=tmp_path) == int8
    with pytest.raises(ValueError, match="unknown precision 'fp16'"):
        exported_onnx(model_dir, precision="fp16", cache=tmp_path)


def test_a_changed_model_gets_its_own_file(model_dir, tmp_path):
    other = build_tiny_model(tmp_path / "other", seed=1)
    assert model_digest(other) != model_digest(model_dir)
    assert model_digest(model_dir) == model_digest(model_dir)
    with pytest.raises(OSError, match="no config.json"):
        model_digest(tmp_path)


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(onnx_runtime.CACHE_ENV_VAR, str(tmp_path))
    assert cache_dir() == tmp_path / "onnx"
    monkeypatch.delenv(onnx_runtime.CACHE_ENV_VAR)
    assert cache_dir().parts[-2:] == ("forum-anecdotes", "onnx")


def test_onnx_fp32_computes_what_torch_computes(model_dir):
    exact = Tagger(model_dir, key=b"k" * 32)
    onnx = Tagger(model_dir, mode="onnx-fp32", key=b"k" * 32)
    assert isinstance(onnx.model, OnnxSequenceClassifier)
    np.testing.assert_allclose(onnx.logits(TEXTS), exact.logits(TEXTS), atol=1e-4)
    posts = [{"id": str(i), "text": t} for i, t in enumerate(TEXTS)]
    assert [t["labels"] for t in onnx.tag(posts)] == [t["labels"] for t in exact.tag(posts)]


def test_onnx_int8_logits_are_close_to_fp32(model_dir):
    fp32 = Tagger(model_dir, key=b"k" * 32)
    fast = Tagger(model_dir, mode="onnx-int8", key=b"k" * 32)
    assert isinstance(fast.model, OnnxSequenceClassifier)
    exact, quantised = fp32.logits(TEXTS), fast.logits(TEXTS)
    assert quantised.shape == exact.shape == (len(TEXTS), len(LABEL_NAMES))
    # int8 weights and activations move the logits a little, never far; they still follow fp32's
    assert 1e-4 < np.abs(quantised - exact).max() < 0.25
    assert np.corrcoef(quantised.ravel(), exact.ravel())[0, 1] > 0.98
    tagged = list(fast.tag([{"id": str(i), "text": t} for i, t in enumerate(TEXTS)]))
    assert [t["id"] for t in tagged] == ["0", "1", "2", "3"]
    assert all(0 <= p <= 1 for t in tagged for p in t["scores"].values())


@pytest.mark.parametrize("mode", ["onnx-fp32", "onnx-int8"])
def test_the_onnx_modes_are_refused_off_the_cpu(mode, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    with pytest.raises(ModeUnavailable, match=f"{mode} runs on the CPU only"):
        check_mode(mode, "cuda")
