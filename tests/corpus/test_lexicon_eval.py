"""Measuring the lexicon on hand-read posts: counting, loading, and the published sample's shape."""
import json

import pytest

from forum_anecdotes import paths
from forum_anecdotes.corpus.lexicon_eval import SamplePost, evaluate, format_scores, load_sample


def post(i, text, drugs):
    return SamplePost(id=f"p{i}", source="test", text=text, drugs=frozenset(drugs))


def test_counts_per_mention_and_per_post():
    sample = [
        post(1, "20mg sertraline and a beer", {"sertraline", "alcohol", "cannabis"}),  # cannabis missed
        post(2, "the weather is nice", set()),                                          # true negative
        post(3, "my sertraline dose", set()),                                           # spurious (by the reader)
        post(4, "nothing named here", {"heroin"}),                                      # post missed
    ]
    s = evaluate(sample)
    assert (s.tp, s.fp, s.fn) == (2, 1, 2)
    assert (s.post_tp, s.post_fp, s.post_fn) == (1, 1, 1)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(0.5)
    assert "p1: missed cannabis" in s.errors and "p3: spurious sertraline" in s.errors
    assert "substance mentions" in format_scores(s)
    assert s.to_json()["mentions"]["recall"] == 0.5


def test_a_bad_line_names_file_and_line(tmp_path):
    path = tmp_path / "sample.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "x", "drugs": []}) + "\n{not json\n")
    with pytest.raises(ValueError, match=r"sample.jsonl:2: not a sample record"):
        load_sample(path)


def test_the_published_sample_is_large_enough_and_says_who_read_it():
    lines = [json.loads(line) for line in paths.LEXICON_SAMPLE.read_text(encoding="utf-8").splitlines()]
    assert len(lines) >= 200
    assert len({r["id"] for r in lines}) == len(lines)
    assert all(r["read_by"]["agent"] == "language_model" and r["read_by"]["agent_model"] for r in lines)
    assert {r["source"] for r in lines} == {"opiates", "rmhd"}  # sources published in full only
    assert len(load_sample(paths.LEXICON_SAMPLE)) == len(lines)
