"""The precision modes of the tagger: one list, read by the tagger, the evaluation, the benchmark and the CLI.

A module of its own, without imports, so that the command line can offer the modes without loading
the model code.
"""

#: Precision modes: float32; torch's dynamic int8 quantisation of the Linear layers (CPU); int8
#: through ONNX Runtime, per-channel weights (CPU, :mod:`.onnx_int8`); bfloat16 (a GPU, or a CPU
#: with native bf16 instructions).
MODES = ("fp32", "int8", "onnx-int8", "bf16")
#: What each mode other than fp32 is, in a few words (model card and reports).
MODE_DESCRIPTIONS = {"int8": "torch's dynamic int8 quantisation of the linear layers",
                     "onnx-int8": "ONNX Runtime, int8 weights quantised per channel",
                     "bf16": "bfloat16 weights and arithmetic"}
#: The modes other than fp32, each measured against it.
FASTER_MODES = tuple(m for m in MODES if m != "fp32")
#: The modes that run on the CPU only.
CPU_ONLY_MODES = ("int8", "onnx-int8")
