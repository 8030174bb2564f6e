"""Drawing batches: strategies, overlap, thread context, and restricted text kept local."""
import json

import numpy as np
import pandas as pd
import pytest

from forum_anecdotes import paths
from forum_anecdotes.annotation.batches import BatchPlan, assign, draw_posts, make_tasks, read_tasks, write_batch
from forum_anecdotes.labels import LABEL_NAMES


def synthetic_corpus(n_threads=30, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    texts = ["sertraline helped my mood", "brain zaps after stopping", "relapsed on heroin again", "nice weather",
             "I took 2mg xanax", "my friend is an addict", "nausea from lexapro", "just a question"]
    for t in range(n_threads):
        source = ["rmhd", "opiates", "reddit_threads"][t % 3]
        for pos in range(1 + t % 3):
            rows.append({
                "post_id": f"{source}-{t}-{pos}", "thread_id": f"{source}-{t}-0", "position": pos,
                "parent_id": f"{source}-{t}-{pos - 1}" if pos else None, "source": source,
                "title": f"thread {t}" if pos == 0 else None, "text": texts[int(rng.integers(len(texts)))],
                "drug_classes": [["ssri"], ["opioid"], []][t % 3],
            })
    return pd.DataFrame(rows)


def test_random_draw_is_seeded_and_without_repeats():
    corpus = synthetic_corpus()
    plan = BatchPlan(name="b1", size=20, annotators=("a", "b"), seed=3)
    first, again = draw_posts(corpus, plan), draw_posts(corpus, plan)
    assert first["post_id"].tolist() == again["post_id"].tolist()
    assert first["post_id"].is_unique and len(first) == 20 and set(first["selection"]) == {"random"}
    other = draw_posts(corpus, BatchPlan(name="b1", size=20, annotators=("a", "b"), seed=4))
    assert other["post_id"].tolist() != first["post_id"].tolist()


def test_stratified_draw_covers_every_stratum():
    corpus = synthetic_corpus()
    chosen = draw_posts(corpus, BatchPlan(name="s", size=6, annotators=("a",), strategy="stratified"))
    assert set(chosen["source"]) == {"rmhd", "opiates", "reddit_threads"}


def test_enriched_draw_prefers_cue_words():
    corpus = synthetic_corpus(n_threads=60)
    chosen = draw_posts(corpus, BatchPlan(name="e", size=10, annotators=("a",), strategy="enriched_lexicon"))
    assert (chosen["text"] != "nice weather").all() and (chosen["text"] != "just a question").all()


def test_enriched_model_needs_scores():
    corpus = synthetic_corpus()
    with pytest.raises(ValueError, match="no model yet"):
        draw_posts(corpus, BatchPlan(name="m", size=5, annotators=("a",), strategy="enriched_model"))
    scores = {pid: i / 100 for i, pid in enumerate(corpus["post_id"])}
    chosen = draw_posts(corpus, BatchPlan(name="m", size=3, annotators=("a",), strategy="enriched_model"), model_scores=scores)
    assert chosen["post_id"].tolist() == corpus["post_id"].tolist()[::-1][:3]


def test_overlap_sends_a_share_to_several_annotators():
    plan = BatchPlan(name="o", size=10, annotators=("a", "b", "c"), overlap=0.3, copies=2)
    out = assign([f"p{i}" for i in range(10)], plan)
    counts = pd.Series([p for ps in out.values() for p in ps]).value_counts()
    assert (counts == 2).sum() == 3 and (counts == 1).sum() == 7
    assert all(len(set(ps)) == len(ps) for ps in out.values())  # nobody gets a post twice
    assert max(map(len, out.values())) - min(map(len, out.values())) <= 1


@pytest.mark.parametrize("bad", [dict(name="Bad Name"), dict(strategy="clever"), dict(annotators=()),
                                 dict(annotators=("a", "a")), dict(overlap=1.5), dict(copies=5), dict(size=0),
                                 dict(annotators=("a b",))])
def test_bad_plans_are_refused(bad):
    with pytest.raises(ValueError):
        BatchPlan(**({"name": "x", "size": 3, "annotators": ("a", "b")} | bad))


def test_tasks_carry_thread_context_and_restricted_batches_stay_local(tmp_path, monkeypatch):
    corpus = synthetic_corpus()
    plan = BatchPlan(name="ctx", size=len(corpus), annotators=("a", "b"), overlap=0.5)
    tasks = make_tasks(draw_posts(corpus, plan), corpus, plan)
    reply = next(t for ts in tasks.values() for t in ts if t["post_id"].endswith("-2"))
    assert reply["parent"]["post_id"].endswith("-1") and reply["opening"]["post_id"].endswith("-0")
    assert reply["labels"] == list(LABEL_NAMES) and reply["guide_version"]
    opening = next(t for ts in tasks.values() for t in ts if t["post_id"].endswith("-0"))
    assert opening["opening"] is None and opening["parent"] is None
    # reddit_threads text may not leave the machine
    with pytest.raises(ValueError, match="may not leave this machine"):
        write_batch(tasks, plan, tmp_path / "batches")
    monkeypatch.setattr(paths, "LOCAL_DIR", tmp_path / "local")
    folder = write_batch(tasks, plan, tmp_path / "local" / "batches")
    assert sorted(p.name for p in folder.iterdir()) == ["batch.json", "tasks-a.jsonl", "tasks-b.jsonl"]
    summary = json.loads((folder / "batch.json").read_text())
    assert summary["local_only"] and summary["posts"] == len(corpus)
    assert len(read_tasks(folder)) == len(corpus)
    with pytest.raises(ValueError, match="never overwritten"):
        write_batch(tasks, plan, tmp_path / "local" / "batches")


def test_published_sources_may_be_written_anywhere(tmp_path):
    corpus = synthetic_corpus()
    corpus = corpus[corpus["source"] != "reddit_threads"]
    plan = BatchPlan(name="pub", size=5, annotators=("a",))
    folder = write_batch(make_tasks(draw_posts(corpus, plan), corpus, plan), plan, tmp_path)
    assert not json.loads((folder / "batch.json").read_text())["local_only"]


def test_enriched_draw_can_focus_on_one_rare_label():
    corpus = synthetic_corpus(n_threads=60)
    plan = BatchPlan(name="f", size=5, annotators=("a",), strategy="enriched_lexicon", focus=("ssri_withdrawal",))
    chosen = draw_posts(corpus, plan)
    assert (chosen["text"] == "brain zaps after stopping").all()
    with pytest.raises(ValueError, match="focus"):
        BatchPlan(name="f", size=5, annotators=("a",), labels=("first_hand",), focus=("abuse_harm",))


def test_task_files_are_strict_json_when_the_corpus_has_no_title(tmp_path):
    # a corpus read from Parquet gives NaN, not None, for a missing title; NaN is not JSON
    corpus = synthetic_corpus()
    corpus = corpus[corpus["source"] != "reddit_threads"].assign(title=np.nan)
    plan = BatchPlan(name="nan", size=len(corpus), annotators=("a",))
    folder = write_batch(make_tasks(draw_posts(corpus, plan), corpus, plan), plan, tmp_path)

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    lines = (folder / "tasks-a.jsonl").read_text().splitlines()
    tasks = [json.loads(line, parse_constant=refuse) for line in lines]
    assert len(tasks) == len(corpus) and all(t["title"] is None for t in tasks)
    assert all(t["opening"] is None or t["opening"]["title"] is None for t in tasks)
