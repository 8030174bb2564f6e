"""The local engine: one Parquet part per run, bad lines recorded or raised; the staged tag folder; tallying a folder."""

import pandas as pd
import pyarrow.parquet as pq
import pytest

from forum_anecdotes.analysis.engines import ENGINES, TagJob, cpu_count, run_engine, run_local, tally_folder
from forum_anecdotes.io import staged_folder
from forum_anecdotes.analysis.inputs import InputOptions, input_files
from forum_anecdotes.analysis.tags import tag_schema
from forum_anecdotes.analysis.tally import Tally
from forum_anecdotes.io import BadInput, Rejects
from forum_anecdotes.labels import LABEL_NAMES


def test_run_local_writes_one_part_with_every_good_post(local_run, posts_folder):
    assert sorted(p.name for p in local_run.tags_dir.iterdir()) == ["part-00000.parquet"]
    table = pq.read_table(local_run.tags_dir / "part-00000.parquet")
    assert table.schema == tag_schema(LABEL_NAMES) and "text" not in table.column_names
    # every post but the malformed line, in file order
    assert local_run.posts == table.num_rows == len(posts_folder.posts) == 260
    assert table.column("id").to_pylist() == list(posts_folder.posts)
    assert [(r["file"], r["line"]) for r in local_run.rejects.records] == [(str(posts_folder.bad_file),
                                                                           posts_folder.bad_line)]
    assert local_run.rejects.records[0]["reason"].startswith("malformed JSON")
    expected = posts_folder.posts
    assert table.column("month").to_pylist() == [p["month"] for p in expected.values()]
    assert table.column("group").to_pylist() == [p["group"] for p in expected.values()]
    assert None in table.column("month").to_pylist()  # some posts are undated
    drugs = table.column("drugs").to_pylist()
    assert {"heroin", "alprazolam", "sertraline", "kratom"} <= {d for names in drugs for d in names}
    assert table.column("corpus_id").null_count == table.num_rows  # no corpus source: no corpus ids
    # nothing is left beside the folder: no staging folder, no old copy
    assert sorted(p.name for p in local_run.tags_dir.parent.iterdir()) == ["tags"]


def test_a_bad_line_without_skip_bad_raises_and_leaves_the_old_tags(tmp_path, model_dir, posts_folder, local_run):
    tags_dir = tmp_path / "tags"
    tags_dir.mkdir()
    (tags_dir / "part-00000.parquet").write_bytes(b"the previous run's tags")
    rejects = Rejects()
    with pytest.raises(BadInput) as caught:
        run_local(input_files(posts_folder.dir), options=InputOptions(), job=local_run.job, tags_dir=tags_dir,
                  rejects=rejects)
    assert (caught.value.file, caught.value.line) == (str(posts_folder.bad_file), posts_folder.bad_line)
    assert f"forum_a.jsonl:{posts_folder.bad_line}: malformed JSON" in str(caught.value)
    assert [p.name for p in tmp_path.iterdir()] == ["tags"]
    assert (tags_dir / "part-00000.parquet").read_bytes() == b"the previous run's tags"
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        run_engine("spark", [], options=InputOptions(), job=TagJob(model_dir=model_dir), tags_dir=tags_dir,
                   rejects=rejects)
    assert ENGINES == ("local", "ray") and cpu_count() >= 1


def test_staged_folder_replaces_the_folder_whole(tmp_path):
    final = tmp_path / "out" / "tags"
    with staged_folder(final) as staging:  # a folder that did not exist, parents made
        assert staging.parent == final.parent and staging != final and not final.exists()
        (staging / "first.parquet").write_text("1", encoding="utf-8")
    assert [p.name for p in final.iterdir()] == ["first.parquet"]
    with staged_folder(final) as staging:
        (staging / "second.parquet").write_text("2", encoding="utf-8")
        assert (final / "first.parquet").exists()  # the old folder stays readable until the end
    assert [p.name for p in final.iterdir()] == ["second.parquet"]  # replaced whole: the old part is gone
    assert [p.name for p in final.parent.iterdir()] == ["tags"]


def test_staged_folder_leaves_nothing_on_failure(tmp_path):
    final = tmp_path / "tags"
    with pytest.raises(RuntimeError, match="boom"):
        with staged_folder(final) as staging:
            (staging / "half.parquet").write_text("half", encoding="utf-8")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    final.mkdir()
    (final / "old.parquet").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with staged_folder(final) as staging:
            (staging / "new.parquet").write_text("new", encoding="utf-8")
            raise RuntimeError("boom")
    assert [p.name for p in tmp_path.iterdir()] == ["tags"] and [p.name for p in final.iterdir()] == ["old.parquet"]


def test_tally_folder_equals_the_tally_of_the_tables(local_run, posts_folder, tmp_path):
    table = pq.read_table(local_run.tags_dir)
    direct = Tally(LABEL_NAMES)
    direct.add(table)
    streamed = Tally(LABEL_NAMES)
    tally_folder(local_run.tags_dir, streamed, batch_rows=50)  # several batches
    pd.testing.assert_frame_equal(streamed.counts(), direct.counts())
    pd.testing.assert_frame_equal(streamed.cooccurrence(), direct.cooccurrence())
    # a folder of two parts (as Ray writes them) tallies as one table
    parts = tmp_path / "parts"
    parts.mkdir()
    pq.write_table(table.slice(0, 100), parts / "a.parquet")
    pq.write_table(table.slice(100), parts / "b.parquet")
    split = Tally(LABEL_NAMES)
    tally_folder(parts, split)
    pd.testing.assert_frame_equal(split.counts(), direct.counts())
    # the counts are those of the posts written
    counts = streamed.counts().set_index(["dimension", "value"])
    posts = posts_folder.posts.values()
    assert counts.loc[("overall", "all"), "posts"] == len(posts_folder.posts) == streamed.posts
    assert counts.loc[("group", "forum_a"), "posts"] == sum(p["group"] == "forum_a" for p in posts)
    assert streamed.undated == sum(p["month"] is None for p in posts) > 0
    months = counts.loc["month"]
    assert months["posts"].sum() == streamed.posts - streamed.undated
    for label in LABEL_NAMES:
        assert counts.loc[("overall", "all"), label] == sum(label in labels for labels in table.column("labels").to_pylist())
