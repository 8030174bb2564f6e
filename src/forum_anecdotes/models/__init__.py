"""The classifier: training, calibration, evaluation beside baselines, and tagging new posts.

A trained model is a folder ``models/<name>/`` in Hugging Face format (``config.json`` with the label
map, ``model.safetensors``, the tokenizer), so that ``transformers.pipeline("text-classification",
model=..., top_k=None)`` loads it offline, plus ``tagger.json`` (:mod:`.spec`): thresholds,
calibration, the windowing of long posts, the model's name and version. Everything that reads or
writes that file goes through :mod:`forum_anecdotes.models.spec`.
"""
