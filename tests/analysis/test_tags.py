"""The tag table: the corpus id rule, the schema (no text), scores and labels as the tagger decides them."""
import pyarrow as pa
import pytest

from forum_anecdotes.analysis.tags import CORPUS_IDS, corpus_id, tag_schema, tag_table
from forum_anecdotes.ids import published_id
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models.tag import PreparedPost, Tagger

KEY = b"forum-anecdotes-test-key-0123456789"


def test_corpus_id_rule():
    assert corpus_id("abc123", corpus_source=None, key=None) is None
    assert corpus_id("abc123", corpus_source=None, key=KEY) is None
    assert corpus_id("reddit_threads-0f3a", corpus_source=CORPUS_IDS, key=None) == "reddit_threads-0f3a"
    keyed = corpus_id("abc123", corpus_source="reddit_threads", key=KEY)
    assert keyed == published_id("reddit_threads", "abc123", key=KEY)
    assert keyed.startswith("reddit_threads-") and "abc123" not in keyed
    assert keyed != corpus_id("abc123", corpus_source="reddit_threads", key=KEY[::-1])  # the key decides it
    assert corpus_id("r42", corpus_source="psytar", key=None, public_ids=True) == published_id(
        "psytar", "r42", key=b"", public=True) == "psytar-r42"
    with pytest.raises(ValueError, match="needs the project's key"):
        corpus_id("abc123", corpus_source="reddit_threads", key=None)


def test_tag_schema_columns():
    schema = tag_schema(["a", "b"])
    assert schema.names == ["id", "month", "group", "drugs", "drug_classes", "corpus_id", "scores", "labels"]
    assert not schema.field("id").nullable and schema.field("month").nullable
    assert schema.field("scores").type == pa.struct([("a", pa.float64()), ("b", pa.float64())])
    assert schema.field("labels").type == pa.list_(pa.string())


@pytest.fixture(scope="module")
def tagger(model_dir):
    return Tagger(model_dir, evidence=False, key=KEY)


def test_tag_table_scores_labels_and_no_text(tagger):
    texts = ["I took heroin for years and the withdrawal was hell.", "Sertraline helped my mood a lot.",
             "Short one."]
    rows = [{"id": f"p{i}", "text": text, "month": ["2019-01", None, "2020-12"][i], "group": "g",
             "drugs": [["heroin"], ["sertraline"], []][i], "drug_classes": [["opioid"], ["ssri"], []][i]}
            for i, text in enumerate(texts)]
    table = tag_table(tagger, rows, corpus_source="reddit_threads", key=KEY)
    assert table.schema == tag_schema(LABEL_NAMES)
    assert "text" not in table.column_names
    assert not any(text in str(value) for text in texts for value in table.to_pylist())
    assert table.column("id").to_pylist() == ["p0", "p1", "p2"]
    assert table.column("month").to_pylist() == ["2019-01", None, "2020-12"]
    assert table.column("drugs").to_pylist() == [["heroin"], ["sertraline"], []]
    assert table.column("corpus_id").to_pylist() == [published_id("reddit_threads", f"p{i}", key=KEY) for i in range(3)]
    expected = tagger.score([PreparedPost(record={}, text=text) for text in texts])
    for got_scores, got_labels, (scores, labels) in zip(table.column("scores").to_pylist(),
                                                        table.column("labels").to_pylist(), expected):
        assert list(got_scores) == list(LABEL_NAMES)
        assert got_scores == pytest.approx(scores, abs=1e-12) and got_labels == labels
        assert got_labels == [n for n in LABEL_NAMES if got_scores[n] >= tagger.spec.thresholds[n]]
    # without a corpus source: no corpus ids; no rows: an empty table of the same schema
    assert tag_table(tagger, rows).column("corpus_id").to_pylist() == [None] * 3
    empty = tag_table(tagger, [])
    assert empty.num_rows == 0 and empty.schema == tag_schema(LABEL_NAMES)
