"""The ``onnx-fp32`` and ``onnx-int8`` modes: the model exported to ONNX once and run by ONNX Runtime.

Why ONNX Runtime beside torch: on this project's CPUs its kernels are faster for this small
encoder, in float32 (the same arithmetic, so the same decisions) and in int8. The int8 file
quantises each weight per output channel, with 7-bit weight ranges (``reduce_range``): ONNX
Runtime recommends the reduced range on CPUs without VNNI instructions, where 8-bit products can
saturate. On the gold validation split it changed 15 of 1,140 label decisions against fp32, where
torch's dynamic int8 (the ``int8`` mode) changed 53.

The export uses transformers' eager attention, which traces to plain ONNX operators, and
quantises with ``onnxruntime.quantization`` (the ``optimum`` package is not used: it downgrades
transformers). The quantised file is kept in a cache folder, named by a digest of the model's
files and the precision, so a model is exported once per machine; a changed model gets a new file.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path
from types import SimpleNamespace

#: The ONNX operator set of the export (supported by every ONNX Runtime of the last years).
ONNX_OPSET = 17
#: Environment variable naming the cache folder of exported models.
CACHE_ENV_VAR = "FORUM_ANECDOTES_CACHE"
#: The model files whose content names the exported file (weights, architecture, label map).
_DIGESTED_FILES = ("config.json", "model.safetensors", "pytorch_model.bin")


def cache_dir() -> Path:
    """The folder of exported models: ``$FORUM_ANECDOTES_CACHE/onnx``, else ``~/.cache/forum-anecdotes/onnx``."""
    root = os.environ.get(CACHE_ENV_VAR)
    return (Path(root) if root else Path.home() / ".cache" / "forum-anecdotes") / "onnx"


def model_digest(model_dir: str | os.PathLike) -> str:
    """A digest of a model folder's weights and configuration (16 hex digits).

    Args:
        model_dir: a Hugging Face model folder.

    Returns:
        The digest; it changes whenever the weights or the configuration change.

    Raises:
        OSError: for a folder without ``config.json``.
    """
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise OSError(f"{model_dir}: no config.json, so not a model folder")
    digest = hashlib.sha256()
    for name in _DIGESTED_FILES:
        path = model_dir / name
        if path.is_file():
            digest.update(name.encode())
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


#: The precisions of an exported file.
PRECISIONS = ("fp32", "int8")


def exported_onnx(model_dir: str | os.PathLike, *, precision: str,
                  cache: str | os.PathLike | None = None) -> Path:
    """The ONNX file of a model: taken from the cache, or exported (and quantised) into it.

    Args:
        model_dir: a Hugging Face sequence-classification model folder.
        precision: "fp32" (float32 weights, as the model computes in torch) or "int8" (weights
            quantised per channel, activations quantised as each batch runs).
        cache: the cache folder (default :func:`cache_dir`).

    Returns:
        The path of ``<digest>.<precision>.onnx``.

    Raises:
        ValueError: for an unknown precision.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; the precisions are {', '.join(PRECISIONS)}")
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    cache = Path(cache) if cache is not None else cache_dir()
    target = cache / f"{model_digest(model_dir)}.{precision}.onnx"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, attn_implementation="eager").float().eval()
    # two rows of different lengths, so that batch and sequence axes are traced as dynamic
    ids = torch.tensor([[101, 2000, 2001, 102], [101, 2000, 102, 0]])
    with tempfile.TemporaryDirectory(dir=cache) as work:
        fp32_path, int8_path = Path(work) / "model.onnx", Path(work) / "model.int8.onnx"
        with warnings.catch_warnings():  # tracer warnings about Python branches that do not depend on the data
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (ids, (ids != 0).long()), str(fp32_path), input_names=["input_ids", "attention_mask"],
                              output_names=["logits"], opset_version=ONNX_OPSET, dynamo=False,
                              dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                            "attention_mask": {0: "batch", 1: "tokens"}, "logits": {0: "batch"}})
        if precision == "int8":
            root = logging.getLogger()
            level = root.level
            root.setLevel(logging.ERROR)  # the quantiser logs advice about static pre-processing at WARNING
            try:
                quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=True,
                                 reduce_range=True)
            finally:
                root.setLevel(level)
        os.replace(int8_path if precision == "int8" else fp32_path, target)  # atomic: whole file or none
    return target


class OnnxSequenceClassifier:
    """An ONNX Runtime session called like a transformers model: ``model(input_ids=..., attention_mask=...).logits``.

    Args:
        path: the ONNX file.
        threads: intra-op threads (default: torch's thread count, so a process's one setting
            governs both runtimes).
    """

    def __init__(self, path: str | os.PathLike, *, threads: int | None = None) -> None:
        import onnxruntime
        import torch

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        self.path = Path(path)
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, *, input_ids, attention_mask) -> SimpleNamespace:
        import torch

        logits = self.session.run(["logits"], {"input_ids": input_ids.cpu().numpy(),
                                               "attention_mask": attention_mask.cpu().numpy()})[0]
        return SimpleNamespace(logits=torch.from_numpy(logits))
