"""The Pushshift importer on a small hand-written dump: kinds, ids, threads, fields, and the three ways to read it."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import zstandard

from forum_anecdotes.corpus.importers.pushshift import import_pushshift
from forum_anecdotes.io import BadInput, Rejects

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pushshift"
DUMP = FIXTURES / "thread.ndjson"  # 2 submissions, 4 comments, a blank line 5
SPLIT = FIXTURES / "split"  # the same records: comments in RC_*.ndjson, submissions in RS_*.ndjson


def read(path, **kwargs):
    return list(import_pushshift(path, source="reddit_dump", rejects=Rejects(), **kwargs))


def by_id(posts):
    return {p.native_id: p for p in posts}


def content(post):
    """Everything a post carries except where it was read."""
    return (post.native_id, post.thread_native_id, post.parent_native_id, post.author, post.created,
            post.title, post.text, post.community)


def test_counts_kinds_and_unique_ids():
    posts = read(DUMP)
    assert [p.native_id for p in posts] == ["t3_k1a01", "t1_c1b01", "t1_c1b02", "t1_c1b03", "t3_k1a02", "t1_c1b04"]
    assert len({p.native_id for p in posts}) == len(posts)
    assert {p.source for p in posts} == {"reddit_dump"}


def test_three_level_comment_thread():
    posts = by_id(read(DUMP))
    submission = posts["t3_k1a01"]
    assert (submission.thread_native_id, submission.parent_native_id) == ("t3_k1a01", None)
    # submission <- c1b01 <- c1b02 <- c1b03
    assert posts["t1_c1b01"].parent_native_id == "t3_k1a01"
    assert posts["t1_c1b02"].parent_native_id == "t1_c1b01"
    assert posts["t1_c1b03"].parent_native_id == "t1_c1b02"
    assert {posts[i].thread_native_id for i in ("t1_c1b01", "t1_c1b02", "t1_c1b03")} == {"t3_k1a01"}
    assert posts["t1_c1b04"].thread_native_id == "t3_k1a02"
    assert posts["t1_c1b04"].parent_native_id == "t3_k1a02"


def test_titles_texts_and_communities():
    posts = by_id(read(DUMP))
    assert posts["t3_k1a01"].title == "Notes from a first low dose"
    assert posts["t3_k1a01"].text.startswith("Invented example: started with a low dose")
    assert all(posts[i].title is None for i in posts if i.startswith("t1_"))
    assert posts["t1_c1b01"].text == "Good call starting low. Did you test it first?"
    assert posts["t1_c1b03"].text == "[removed]"  # kept as is: the build decides
    assert posts["t3_k1a02"].text == ""  # a link post: empty selftext stays empty
    assert posts["t3_k1a01"].community == "harmreduction"
    assert posts["t1_c1b04"].community == "opioidsupport"


def test_authors_and_dates():
    posts = by_id(read(DUMP))
    assert posts["t3_k1a01"].author == "lantern_moth"
    assert posts["t1_c1b03"].author == "[deleted]"
    assert posts["t1_c1b04"].author is None  # no author field at all
    assert posts["t3_k1a01"].created == dt.datetime(2022, 4, 15, 5, 20, tzinfo=dt.timezone.utc)
    # old dumps write created_utc as a string
    assert posts["t1_c1b02"].created == dt.datetime(2022, 4, 15, 5, 40, tzinfo=dt.timezone.utc)


def test_origin_and_order():
    posts = read(DUMP)
    assert {p.origin.file for p in posts} == {str(DUMP)}
    assert [p.origin.line for p in posts] == [1, 2, 3, 4, 6, 7]  # line 5 is blank
    assert [p.order for p in posts] == sorted(p.order for p in posts)
    assert len({p.order for p in posts}) == len(posts)


def test_zst_reads_like_plain_file(tmp_path):
    compressed = tmp_path / "RC_2022-04.ndjson.zst"
    compressed.write_bytes(zstandard.ZstdCompressor().compress(DUMP.read_bytes()))
    plain, packed = read(DUMP), read(compressed)
    assert [content(p) for p in packed] == [content(p) for p in plain]
    assert [p.origin.line for p in packed] == [p.origin.line for p in plain]
    assert {p.origin.file for p in packed} == {str(compressed)}


def test_folder_with_submissions_and_comments_in_separate_files():
    plain = read(DUMP)
    split = read(SPLIT)
    assert sorted(map(content, split)) == sorted(map(content, plain))
    # files are read in name order: RC_* (comments) before RS_* (submissions)
    assert [Path(p.origin.file).name for p in split] == ["RC_2022-04.ndjson"] * 4 + ["RS_2022-04.ndjson"] * 2


def test_folder_reads_only_dump_files_in_name_order(tmp_path):
    shutil.copy(SPLIT / "RS_2022-04.ndjson", tmp_path / "b.ndjson")
    (tmp_path / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress((SPLIT / "RC_2022-04.ndjson").read_bytes()))
    (tmp_path / "notes.txt").write_text("not a dump\n")
    posts = read(tmp_path)
    assert [Path(p.origin.file).name for p in posts] == ["a.jsonl.zst"] * 4 + ["b.ndjson"] * 2


def test_community_falls_back_to_option_then_source(tmp_path):
    dump = tmp_path / "dump.ndjson"
    dump.write_text(json.dumps({"id": "z9", "created_utc": 1600000000, "title": "No subreddit field"}) + "\n")
    assert read(dump)[0].community == "reddit_dump"
    assert read(dump, options={"community": "reddit"})[0].community == "reddit"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"id": "c9", "created_utc": 1, "body": "x", "parent_id": "t3_a"}, "missing field(s): link_id"),
        ({"id": "c9", "created_utc": 1, "link_id": "t3_a", "parent_id": "t3_a"}, "missing field(s): body"),
        ({"id": "s9", "created_utc": 1, "selftext": "x"}, "missing field(s): title"),
        ({"created_utc": 1, "title": "t"}, "missing field(s): id"),
        ({"id": "s9", "title": "t"}, "missing field(s): created_utc"),
        ({"id": "c9", "created_utc": 1, "body": "x", "link_id": "a", "parent_id": "t3_a"}, "wrong type or format: link_id"),
        ({"id": "c9", "created_utc": 1, "body": "x", "link_id": "t3_a", "parent_id": "t2_a"},
         "wrong type or format: parent_id"),
        ({"id": "s9", "created_utc": "yesterday", "title": "t"}, "wrong type or format: created_utc"),
        ({"id": "s9", "created_utc": 1, "title": ["t"]}, "wrong type or format: title"),
    ],
)
def test_record_with_missing_or_malformed_field_is_rejected(tmp_path, record, reason):
    dump = tmp_path / "dump.ndjson"
    dump.write_text(json.dumps(record) + "\n")
    with pytest.raises(BadInput) as caught:
        read(dump)
    assert (caught.value.file, caught.value.line, caught.value.reason) == (str(dump), 1, reason)


def test_missing_path_is_a_catalogue_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="reddit_dump"):
        read(tmp_path / "absent")
