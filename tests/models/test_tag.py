"""The tagger: pipeline first, windows, length-sorted batches, max pooling, calibration, thresholds, evidence."""
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from forum_anecdotes.io import BadInput, Rejects
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models import tag as tag_module
from forum_anecdotes.models.spec import save_spec
from forum_anecdotes.models.tag import ModeUnavailable, Tagger, check_mode
from forum_anecdotes.models.windows import join_title, sentence_split

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tag"
sys.path.insert(0, str(FIXTURES))
from tiny_model import tiny_spec  # noqa: E402


@pytest.fixture(scope="module")
def tagger(model_dir):
    return Tagger(model_dir, key=b"forum-anecdotes-test-key-0123456789")


def fixture_posts():
    return [json.loads(line) for line in (FIXTURES / "posts.jsonl").read_text(encoding="utf-8").splitlines()]


def test_output_fields_and_types_with_fields_passed_through(tagger):
    posts = fixture_posts()
    tagged = list(tagger.tag(fixture_posts()))
    assert [t["id"] for t in tagged] == [p["id"] for p in posts]  # input order, ids kept as they are
    for post, out in zip(posts, tagged):
        assert out["forum"] == post["forum"] and out["meta"] == post["meta"]
        assert list(out["scores"]) == list(LABEL_NAMES)
        assert all(isinstance(p, float) and 0 <= p <= 1 for p in out["scores"].values())
        assert isinstance(out["labels"], list) and out["labels"] == [n for n in LABEL_NAMES if n in out["labels"]]
        assert out["model"] == {"name": "tiny-test", "version": "0.0.1"}
        # evidence: one sentence of the text the model read, for each positive label and no other
        assert set(out["evidence"]) == set(out["labels"])
        sentences = sentence_split(join_title(out.get("title"), out["text"]))
        assert all(s in sentences for s in out["evidence"].values())
    assert any(t["labels"] for t in tagged) and any(len(t["labels"]) < len(LABEL_NAMES) for t in tagged)
    assert tagger.counts.posts >= len(posts)


def test_scores_are_max_pooled_calibrated_window_logits_and_thresholds_apply(tagger):
    post = fixture_posts()[2]  # a long post: several windows
    out = next(tagger.tag([post]))
    windows = tagger.windows(out["text"])
    assert len(windows) > 1
    pooled = tagger.logits(windows).max(axis=0)
    spec = tiny_spec()
    for j, label in enumerate(LABEL_NAMES):
        expected = 1 / (1 + math.exp(-pooled[j] / spec.calibration["temperature"][label]))
        assert out["scores"][label] == pytest.approx(expected, abs=1e-6)
    assert out["labels"] == [n for n in LABEL_NAMES if out["scores"][n] >= spec.thresholds[n]]


def test_thresholds_come_from_the_spec(model_dir, tmp_path):
    other = tmp_path / "model"
    shutil.copytree(model_dir, other)
    thresholds = dict(zip(LABEL_NAMES, (0.0, 1.0, 0.0, 1.0, 0.0)))  # always, never, always, never, always
    save_spec(tiny_spec(thresholds=thresholds), other)
    for out in Tagger(other, key=b"k" * 32).tag(fixture_posts()):
        assert out["labels"] == ["effect_beneficial", "ssri_withdrawal", "first_hand"]


def test_evidence_is_the_sentence_that_scores_highest_alone(tagger):
    out = next(tagger.tag([fixture_posts()[2]]))
    sentences = sentence_split(out["text"])
    logits = tagger.logits(sentences)
    assert out["labels"]
    for label in out["labels"]:
        assert out["evidence"][label] == sentences[int(np.argmax(logits[:, LABEL_NAMES.index(label)]))]


def test_anonymisation_comes_before_the_model(tagger):
    seen = []
    hook = tagger.model.register_forward_pre_hook(
        lambda module, args, kwargs: seen.extend(kwargs["input_ids"].tolist()), with_kwargs=True)
    try:
        out = list(tagger.tag(fixture_posts()[:2]))
    finally:
        hook.remove()
    model_text = " ".join(tagger.tokenizer.decode(ids, skip_special_tokens=True) for ids in seen)
    assert "email" in model_text  # the placeholder [EMAIL] reached the model...
    assert "example" not in model_text and "moss" not in model_text and "lantern" not in model_text  # ...the address did not
    assert "tidal" not in model_text and "heron" not in model_text
    dumped = json.dumps(out)
    assert "moss.lantern@example.org" not in dumped and "[EMAIL]" in out[0]["text"]
    assert out[1]["author"].startswith("user_") and "tidal_heron_42" not in dumped  # the author is a pseudonym
    assert out[1]["title"] == "Day 4 off kratom"


def test_length_sorted_batches_give_the_scores_of_batch_size_one(model_dir):
    posts = fixture_posts() * 3
    one = list(Tagger(model_dir, batch_size=1, key=b"k" * 32).tag(posts))
    batched_tagger = Tagger(model_dir, batch_size=8, key=b"k" * 32)
    batched = list(batched_tagger.tag(posts))
    for a, b in zip(one, batched):
        assert a["labels"] == b["labels"] and a["evidence"] == b["evidence"]
        for label in LABEL_NAMES:
            assert abs(a["scores"][label] - b["scores"][label]) < 1e-5
    counts = batched_tagger.counts
    assert counts.padded_tokens - counts.tokens < 0.1 * counts.tokens  # sorting leaves little padding


def test_int8_mode_runs_with_quantised_linear_layers(model_dir):
    tagger = Tagger(model_dir, mode="int8", key=b"k" * 32)
    assert isinstance(tagger.model.bert.encoder.layer[0].attention.self.query, torch.ao.nn.quantized.dynamic.Linear)
    tagged = list(tagger.tag(fixture_posts()))
    assert len(tagged) == 5 and all(0 <= p <= 1 for t in tagged for p in t["scores"].values())


def test_modes_this_machine_cannot_run_are_refused(monkeypatch):
    monkeypatch.setattr(tag_module, "cpu_has_native_bf16", lambda: False)
    with pytest.raises(ModeUnavailable, match="no native bfloat16"):
        check_mode("bf16", "cpu")
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    with pytest.raises(ModeUnavailable, match="no CUDA device"):
        check_mode("fp32", "cuda")
    with pytest.raises(ModeUnavailable, match="unknown mode"):
        check_mode("fp8", "cpu")
    monkeypatch.setattr(tag_module, "cpu_has_native_bf16", lambda: True)
    check_mode("bf16", "cpu")


def test_a_bad_post_names_its_position_or_goes_to_the_rejects(tagger):
    posts = [{"id": "a", "text": "Fine post."}, {"id": "b"}, {"id": "c", "text": " . "}, {"id": "d", "text": "Fine too."}]
    with pytest.raises(BadInput, match=r"<posts>:2: missing text"):
        list(tagger.tag(posts))
    rejects = Rejects(skip_bad=True)
    assert [t["id"] for t in tagger.tag(posts, rejects=rejects)] == ["a", "d"]
    assert [(r["line"], r["reason"].split(":")[0]) for r in rejects.records] == [(2, "missing text"), (3, "empty post")]


def test_site_furniture_is_passed_over_and_counted(tagger):
    bot = "Your post was removed.\n\n*I am a bot, and this action was performed automatically.*"
    rejects = Rejects()
    out = list(tagger.tag([{"id": "bot", "text": bot}, {"id": "x", "text": "A post."}], rejects=rejects))
    assert [t["id"] for t in out] == ["x"]
    assert list(rejects.skipped.items()) == [(("tag", "site furniture (bot_message)"), 1)]


#: Runs in a fresh process, so that other tests' freed memory (which a run can reuse without its RSS
#: growing) is not there to hide growth. A warm-up run first, so that one-off loads (the
#: anonymiser's word lists) are not counted as growth; then the peak RSS, sampled, of 2,000 posts
#: (two chunks: the working set of any input) and of 20,000.
_MEMORY_CHILD = """
import json, sys, threading, psutil, torch
from forum_anecdotes.models.tag import Tagger, tag_file
torch.set_num_threads(1)
model_dir, warm, small, large, out = sys.argv[1:]
tagger = Tagger(model_dir, batch_size=64, evidence=False, key=b"k" * 32)

def peak_rss(source):
    process, peak, done = psutil.Process(), [0], threading.Event()
    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            done.wait(0.01)
    thread = threading.Thread(target=sample)
    thread.start()
    try:
        tag_file(source, out + "/tags.jsonl", tagger=tagger)
    finally:
        done.set()
        thread.join()
    return peak[0]

peak_rss(warm)
print(json.dumps({"base": peak_rss(small), "peak": peak_rss(large)}))
"""


def test_memory_stays_flat_on_a_long_input(model_dir, tmp_path):
    import gzip
    import os
    import subprocess

    def write_input(path, n):
        with gzip.open(path, "wt", encoding="utf-8") as f:
            for i in range(n):
                text = f"Post {i}: I took {i % 90 + 10} mg of sertraline." + " It helped with sleep." * (i % 3)
                # a large pass-through field: holding the input would show at once
                f.write(json.dumps({"id": f"g{i}", "text": text, "extra": "x" * 4000}) + "\n")

    files = {name: tmp_path / f"{name}.jsonl.gz" for name in ("warm", "small", "large")}
    for name, n in (("warm", 300), ("small", 2_000), ("large", 20_000)):
        write_input(files[name], n)
    # evidence off keeps the test quick; the chunking it would exercise is the same
    done = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(model_dir), *map(str, files.values()), str(tmp_path)],
                          capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rss = json.loads(done.stdout.strip().splitlines()[-1])
    assert sum(1 for _ in open(tmp_path / "tags.jsonl", encoding="utf-8")) == 20_000
    # holding the 20,000 records instead of streaming them grows the peak by about 70 MB
    growth_mb = (rss["peak"] - rss["base"]) / 2**20
    assert growth_mb < 16, f"peak RSS grew by {growth_mb:.1f} MB from 2,000 to 20,000 posts"
