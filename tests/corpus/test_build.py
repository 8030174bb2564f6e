import json
from pathlib import Path

import datasets
import pytest

from forum_anecdotes.corpus.build import MissingSources, build_corpus
from forum_anecdotes.io import BadInput
from forum_anecdotes.corpus.load import load_corpus
from forum_anecdotes.corpus.sources import BUILTIN_SOURCES
from forum_anecdotes.schema import LABEL_NAMES, POST_FIELDS, SPLITS

from raw_fixtures import write_raw_dir  # noqa: E402 (tests/corpus is on the path via conftest)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("build")
    raw = write_raw_dir(tmp / "raw")
    result = build_corpus(raw_dir=raw, key=b"forum-anecdotes-test-key-0123456789", out_dir=tmp / "corpus",
                          data_card=tmp / "DATA_CARD.md", work_dir=tmp / "work", skip_bad=True, progress=False)
    return tmp, result


def _records(corpus_dir: Path) -> list[dict]:
    out = []
    for split in SPLITS:
        for line in (corpus_dir / "data" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            out.append(json.loads(line) | {"_split": split})
    return out


def test_every_split_file_exists_and_records_have_the_schema_fields(built):
    tmp, _ = built
    records = _records(tmp / "corpus")
    assert records
    assert all(set(r) - {"_split"} == set(POST_FIELDS) for r in records)


def test_ids_are_unique_and_threads_do_not_cross_splits(built):
    records = _records(built[0] / "corpus")
    ids = [r["post_id"] for r in records]
    assert len(ids) == len(set(ids))
    split_of_thread = {}
    for r in records:
        assert split_of_thread.setdefault(r["thread_id"], r["_split"]) == r["_split"]


def test_thread_structure_parents_and_positions(built):
    records = _records(built[0] / "corpus")
    by_id = {r["post_id"]: r for r in records}
    forum = [r for r in records if r["community"] == "web" and r["thread_id"] == by_id[r["post_id"]]["thread_id"]]
    threads = {}
    for r in records:
        threads.setdefault(r["thread_id"], []).append(r)
    for posts in threads.values():
        assert sorted(p["position"] for p in posts) == list(range(len(posts)))
        for p in posts:
            if p["parent_id"] is not None:
                assert by_id[p["parent_id"]]["thread_id"] == p["thread_id"]
                assert by_id[p["parent_id"]]["position"] < p["position"]
    forum_thread = max(threads.values(), key=len)
    assert len(forum_thread) == 5  # the forum fixture's five posts, banner and sign-up prompt gone
    assert sum(p["parent_id"] is not None for p in forum_thread) == 4
    assert forum


def test_no_real_name_or_identifier_is_written(built):
    tmp, _ = built
    # the Parquet files hold the same records as the JSONL files (test_parquet_splits_...)
    written = "".join(p.read_text(encoding="utf-8") for p in (tmp / "corpus").rglob("*")
                      if p.is_file() and p.suffix not in (".png", ".parquet"))
    written += (tmp / "DATA_CARD.md").read_text(encoding="utf-8")
    for secret in ("mossy_lantern_77", "tidal_heron_42", "copper_kettle_9", "quietfox_22", "harbor_owl",
                   "lantern_moth", "riverstone_writer", "moss@example.org"):
        assert secret not in written, secret
    records = _records(tmp / "corpus")
    assert any("[EMAIL]" in (r["text"] or "") for r in records)
    assert any("[USER_" in (r["text"] or "") for r in records)
    assert all(r["author"] is None or r["author"] == "[deleted]" or r["author"].startswith("user_") for r in records)
    assert all(r["created"] is None or len(r["created"]) == 7 for r in records)  # YYYY-MM


def test_same_author_gets_the_same_pseudonym(built):
    records = _records(built[0] / "corpus")
    authors = {r["author"] for r in records if r["source"] == "rmhd" and "sertraline" in (r["text"] or "")}
    assert len(authors) == 1


def test_psytar_text_is_withheld_and_labels_carry_provenance(built):
    records = [r for r in _records(built[0] / "corpus") if r["source"] == "psytar"]
    assert {r["post_id"] for r in records} == {"psytar-zoloft.1", "psytar-zoloft.2"}
    assert all(r["text"] is None and r["title"] is None for r in records)
    first = next(r for r in records if r["post_id"] == "psytar-zoloft.1")
    labels = {label["name"]: label for label in first["labels"]}
    assert labels["effect_adverse"]["value"] == 1 and labels["effect_beneficial"]["value"] == 1
    assert labels["ssri_withdrawal"]["value"] == 0
    assert "abuse_harm" not in labels and "first_hand" not in labels  # unknown stays absent, not 0
    assert all(label["origin"] == "external" and label["by"] == "psytar" for label in first["labels"])
    assert set(labels) <= set(LABEL_NAMES)
    assert first["age_band"] == "25-34" and first["created"] == "2011-04"


def test_selection_duplicates_bots_and_rejects_are_counted(built):
    tmp, result = built
    report = result.report
    assert report["deduplication"]["exact_duplicates_removed"] == 1  # the repeated personal-finance post
    assert report["deduplication"]["repeated_ids"] == 0  # the r/opiates index restarts: ids include the segment
    assert report["selection"]["opiates"]["substance_mention"] == 3
    assert report["sources"]["opiates"]["furniture_posts_dropped"] == {"bot_message": 1}
    rejects = [json.loads(line) for line in (tmp / "work" / "rejects.jsonl").read_text().splitlines()]
    assert any(r["source"] == "opiates" for r in rejects) is False or all("reason" in r for r in rejects)
    records = _records(tmp / "corpus")
    selections = {r["selection"] for r in records}
    assert "substance_mention" in selections
    assert all(r["drugs"] for r in records if r["selection"] == "substance_mention")
    assert not any("emergency fund" in (r["text"] or "") and r["selection"] == "substance_mention" for r in records)
    lonely = [r for r in records if r["community"] == "r/lonely"]
    assert 0 < len(lonely) < 40  # a sample of the 40 threads without substances, not all of them


def test_build_is_deterministic(built, tmp_path):
    tmp, _ = built
    again = build_corpus(raw_dir=tmp / "raw", key=b"forum-anecdotes-test-key-0123456789", out_dir=tmp_path / "corpus",
                         data_card=None, work_dir=tmp_path / "work", skip_bad=True, progress=False)
    for split in SPLITS:
        assert (tmp_path / "corpus" / "data" / f"{split}.jsonl").read_bytes() == (tmp / "corpus" / "data" / f"{split}.jsonl").read_bytes()
    assert again.report["splits"] == built[1].report["splits"]


def test_load_dataset_returns_three_splits_and_pandas_reads_the_same(built):
    corpus_dir = built[0] / "corpus"
    loaded = datasets.load_dataset(str(corpus_dir))
    assert set(loaded) == set(SPLITS)
    assert sum(loaded[s].num_rows for s in SPLITS) == len(_records(corpus_dir))
    assert loaded["train"].features["labels"].feature["value"].dtype == "int8"
    again = load_corpus(corpus_dir=corpus_dir)
    assert again["train"].num_rows == loaded["train"].num_rows


def test_psytar_text_can_be_reattached_from_a_local_copy(built):
    tmp, _ = built
    loaded = load_corpus(corpus_dir=tmp / "corpus", psytar_workbook=tmp / "raw" / "psytar" / "PsyTAR_dataset.xlsx")
    texts = [r["text"] for s in SPLITS for r in loaded[s] if r["source"] == "psytar"]
    assert len(texts) == 2 and all(t and "zap" in t or "Nausea" in t for t in texts)


def test_data_card_documents_every_field_and_counts(built):
    card = (built[0] / "DATA_CARD.md").read_text(encoding="utf-8")
    assert card.startswith("---\n")
    for field in POST_FIELDS:
        assert f"| `{field}` |" in card
    assert "configs:" in card and "data/train.jsonl" in card
    assert (built[0] / "corpus" / "README.md").read_text(encoding="utf-8") == card


def test_bad_input_stops_the_build_with_file_and_line_and_leaves_the_corpus_alone(built, tmp_path):
    tmp, _ = built
    raw = write_raw_dir(tmp_path / "raw")
    out = tmp_path / "corpus"
    out.mkdir()
    (out / "marker").write_text("previous corpus")
    with pytest.raises(BadInput, match=r"r_opiates_partial.csv:\d+: empty post"):
        build_corpus(raw_dir=raw, key=b"forum-anecdotes-test-key-0123456789", out_dir=out, data_card=None,
                     work_dir=tmp_path / "work", skip_bad=False, progress=False)
    assert (out / "marker").read_text() == "previous corpus"


def test_missing_sources_are_named_with_where_to_get_them(tmp_path):
    with pytest.raises(MissingSources) as e:
        build_corpus(raw_dir=tmp_path, key=b"forum-anecdotes-test-key-0123456789", out_dir=tmp_path / "c", progress=False)
    message = str(e.value)
    for spec in BUILTIN_SOURCES:
        assert spec.name in message
    assert "basaldella/psytarpreprocessor" in message


def test_reddit_threads_are_published_as_structure_without_text_or_native_ids(built):
    tmp, result = built
    records = [r for r in _records(tmp / "corpus") if r["source"] == "reddit_threads"]
    assert records
    assert all(r["text"] is None and r["title"] is None for r in records)
    native = {"k7aa01", "k7aa02", "k7aa03", "c7b0001", "c7b0004"}  # ids in the fixture files
    assert not any(n in r["post_id"] or n in r["thread_id"] or n in (r["parent_id"] or "") for r in records for n in native)
    by_id = {r["post_id"]: r for r in records}
    replies = [r for r in records if r["parent_id"]]
    assert replies and all(by_id[r["parent_id"]]["thread_id"] == r["thread_id"] for r in replies)
    # the substances come from the withheld text
    assert any(r["drugs"] for r in records)
    assert result.report["threads_3plus_linked"]["reddit_threads"] >= 1
    assert result.report["sources"]["reddit_threads"]["skipped"] == {
        "repeated comment": 1, "repeated submission": 1, "repeated thread": 1}


def test_records_read_add_up_for_every_source(built):
    for name, stats in built[1].report["sources"].items():
        assert stats["read"] == (stats["imported"] + sum(stats["rejected"].values()) + sum(stats["skipped"].values())
                                 + sum(stats["furniture_posts_dropped"].values())), name


def test_parquet_splits_have_the_same_dtypes(built):
    import pandas as pd

    data_dir = built[0] / "corpus" / "data"
    frames = {s: pd.read_parquet(data_dir / f"{s}.parquet") for s in SPLITS}
    dtypes = {s: f.dtypes.astype(str).to_dict() for s, f in frames.items()}
    assert dtypes["train"] == dtypes["validation"] == dtypes["test"]
    assert sum(len(f) for f in frames.values()) == len(_records(built[0] / "corpus"))
    assert list(frames["train"].columns) == list(POST_FIELDS)
    records = _records(built[0] / "corpus")
    from_parquet = [r for s in SPLITS for r in frames[s].to_dict("records")]
    assert [r["post_id"] for r in from_parquet] == [r["post_id"] for r in records]
    assert [r["text"] if isinstance(r["text"], str) else None for r in from_parquet] == [r["text"] for r in records]


def test_withheld_text_is_reattached_in_memory_only(built, tmp_path, monkeypatch):
    tmp, _ = built
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    loaded = load_corpus(corpus_dir=tmp / "corpus", raw_dir=tmp / "raw", key=b"forum-anecdotes-test-key-0123456789")
    threads = [r for s in SPLITS for r in loaded[s] if r["source"] == "reddit_threads"]
    assert threads and all(r["text"] is not None for r in threads)
    assert all(r["text"] for s in SPLITS for r in loaded[s] if r["source"] == "psytar")
    for s in SPLITS:
        assert loaded[s].cache_files == [] or all("hf-cache" not in f["filename"] for f in loaded[s].cache_files)
    written = b"".join(p.read_bytes() for p in (tmp_path / "hf-cache").rglob("*") if p.is_file()) if (tmp_path / "hf-cache").exists() else b""
    sample = threads[0]["text"][:30].encode()
    assert sample not in written


def test_reattaching_with_another_key_fails_clearly(built):
    from forum_anecdotes.corpus.load import WithheldTextError

    tmp, _ = built
    with pytest.raises(WithheldTextError, match="another key"):
        load_corpus(corpus_dir=tmp / "corpus", raw_dir=tmp / "raw", key=b"another-key-entirely-0123456789")
    with pytest.raises(WithheldTextError, match="needs the key"):
        load_corpus(corpus_dir=tmp / "corpus", raw_dir=tmp / "raw")
