"""The precision modes of the tagger: one list, read by the tagger, the evaluation, the benchmark and the CLI.

A module of its own, without imports, so that the command line can offer the modes without loading
the model code.
"""

#: Precision modes: float32; float32 through ONNX Runtime (CPU, :mod:`.onnx_runtime`); torch's
#: dynamic int8 quantisation of the Linear layers (CPU); int8 through ONNX Runtime, per-channel
#: weights (CPU); bfloat16 (a GPU, or a CPU with native bf16 instructions).
MODES = ("fp32", "onnx-fp32", "int8", "onnx-int8", "bf16")
#: The modes run by ONNX Runtime, and the precision of the exported file each reads.
ONNX_MODES = {"onnx-fp32": "fp32", "onnx-int8": "int8"}
#: What each mode other than fp32 is, in a few words (model card and reports).
MODE_DESCRIPTIONS = {"onnx-fp32": "ONNX Runtime, float32",
                     "int8": "torch's dynamic int8 quantisation of the linear layers",
                     "onnx-int8": "ONNX Runtime, int8 weights quantised per channel",
                     "bf16": "bfloat16 weights and arithmetic"}
#: The modes other than torch's fp32, each measured against it.
FASTER_MODES = tuple(m for m in MODES if m != "fp32")
#: The modes that run on the CPU only.
CPU_ONLY_MODES = ("onnx-fp32", "int8", "onnx-int8")
