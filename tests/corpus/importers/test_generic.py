"""The generic JSONL and CSV importers: one column mapping, the same posts from either format."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from forum_anecdotes.corpus.importers.generic import import_csv, import_jsonl
from forum_anecdotes.io import MAX_POST_BYTES, BadInput, Rejects

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "generic"
JSONL = FIXTURES / "posts.jsonl"
CSV = FIXTURES / "posts.csv"  # the same 4 posts; the second record spans lines 3-4

COLUMNS = {"id": "post_id", "text": "body", "thread_id": "thread", "parent_id": "reply_to", "author": "user",
           "created": "posted_at", "title": "subject", "community": "board"}
IMPORTERS = {"jsonl": (import_jsonl, JSONL), "csv": (import_csv, CSV)}


def read(importer, path, **options):
    return list(importer(path, source="board_dump", rejects=Rejects(), options={"columns": COLUMNS, **options}))


def content(post):
    return (post.native_id, post.thread_native_id, post.parent_native_id, post.author, post.created,
            post.title, post.text, post.community)


@pytest.fixture(params=sorted(IMPORTERS))
def posts(request):
    importer, path = IMPORTERS[request.param]
    return read(importer, path)


def test_counts_and_unique_ids(posts):
    assert [p.native_id for p in posts] == ["g-1", "g-2", "3", "g-4"]  # an integer id becomes a string
    assert {p.source for p in posts} == {"board_dump"}


def test_threads_and_parents(posts):
    assert [(p.thread_native_id, p.parent_native_id) for p in posts] == [
        ("th-1", None),  # empty reply_to: the thread's first post
        ("th-1", "g-1"),
        ("th-1", "g-2"),
        ("g-4", None),  # no thread value: a one-post thread
    ]


def test_fields(posts):
    assert [p.title for p in posts] == ["Kratom and sleep", None, None, None]
    assert [p.author for p in posts] == ["pale_heron", "drift_owl", None, None]
    assert [p.created for p in posts] == [
        dt.datetime(2021, 6, 1, 8, 0, tzinfo=dt.timezone.utc),
        dt.datetime(2021, 6, 1, 9, 30, tzinfo=dt.timezone.utc),
        dt.datetime(2021, 6, 1, 10, 0, tzinfo=dt.timezone.utc),  # a Unix timestamp
        None,
    ]
    assert posts[1].text == "Try a fixed schedule.\nAlso less screen time."
    assert [p.community for p in posts] == ["sleep", "sleep", "board_dump", "sleep"]  # empty: the source name
    assert [p.order for p in posts] == [0, 1, 2, 3]


def test_jsonl_and_csv_give_the_same_posts():
    assert list(map(content, read(import_jsonl, JSONL))) == list(map(content, read(import_csv, CSV)))


def test_origins_name_file_and_record_start_line():
    assert [(p.origin.file, p.origin.line) for p in read(import_jsonl, JSONL)] == [(str(JSONL), n) for n in (1, 2, 3, 4)]
    assert [(p.origin.file, p.origin.line) for p in read(import_csv, CSV)] == [(str(CSV), n) for n in (2, 3, 5, 6)]


def test_community_constant_when_no_column_is_mapped(tmp_path):
    minimal = {"id": "post_id", "text": "body"}
    options = {"columns": minimal, "community": "sleep-forum"}
    posts = list(import_csv(CSV, source="board_dump", rejects=Rejects(), options=options))
    assert {p.community for p in posts} == {"sleep-forum"}
    first = posts[0]
    assert (first.thread_native_id, first.parent_native_id, first.author, first.created, first.title) == (
        "g-1", None, None, None, None)
    posts = list(import_jsonl(JSONL, source="board_dump", rejects=Rejects(), options={"columns": minimal}))
    assert {p.community for p in posts} == {"board_dump"}


def test_folder_is_read_in_name_order(tmp_path):
    for name, ids in (("b.jsonl", ["b1"]), ("a.jsonl", ["a1", "a2"])):
        (tmp_path / name).write_text("".join(json.dumps({"post_id": i, "body": "text"}) + "\n" for i in ids))
    posts = list(import_jsonl(tmp_path, source="s", rejects=Rejects(), options={"columns": {"id": "post_id", "text": "body"}}))
    assert [p.native_id for p in posts] == ["a1", "a2", "b1"]


@pytest.mark.parametrize("importer", [import_jsonl, import_csv])
@pytest.mark.parametrize(
    ("options", "message"),
    [
        (None, "options.columns must map id and text"),
        ({"columns": {"id": "post_id"}}, "options.columns lacks text"),
        ({"columns": {"text": "body"}}, "options.columns lacks id"),
        ({"columns": {"id": "post_id", "text": "body", "body": "x"}}, "unknown field"),
        ({"columns": {"id": "post_id", "text": ""}}, "must give a column name for text"),
    ],
)
def test_bad_mapping_is_a_value_error_naming_the_source(importer, options, message):
    with pytest.raises(ValueError, match=message) as caught:
        importer(CSV, source="board_dump", rejects=Rejects(), options=options)  # at the call, before reading
    assert "'board_dump'" in str(caught.value)


def test_csv_header_without_a_mapped_optional_column(tmp_path):
    data = tmp_path / "posts.csv"
    data.write_text("post_id,body\np1,hello\n")
    with pytest.raises(BadInput) as caught:
        columns = {"id": "post_id", "text": "body", "author": "user"}
        list(import_csv(data, source="s", rejects=Rejects(), options={"columns": columns}))
    assert (caught.value.line, caught.value.reason) == (1, "missing column(s): user")


def test_empty_id_and_wrong_types_are_rejected(tmp_path):
    data = tmp_path / "posts.jsonl"
    records = [{"post_id": "", "body": "x"}, {"post_id": "p2", "body": 5}, {"post_id": "p3", "body": "x", "posted_at": "soon"},
               {"post_id": "p4", "body": "kept"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    rejects = Rejects(skip_bad=True)
    columns = {"id": "post_id", "text": "body", "created": "posted_at"}
    posts = list(import_jsonl(data, source="s", rejects=rejects, options={"columns": columns}))
    assert [p.native_id for p in posts] == ["p4"]
    assert [(r["line"], r["reason"]) for r in rejects.records] == [
        (1, "missing field(s): post_id"),
        (2, "wrong type or format: body"),
        (3, "wrong type or format: posted_at"),
    ]


def test_oversize_text_is_rejected_and_a_lone_surrogate_repaired(tmp_path):
    data = tmp_path / "posts.jsonl"
    oversize = "\xe9" * (MAX_POST_BYTES // 2 + 1)  # 2 bytes each in UTF-8: just over the limit
    lines = [json.dumps({"post_id": "big", "body": oversize}), '{"post_id": "emoji", "body": "half an emoji \\ud83d"}']
    data.write_text("\n".join(lines) + "\n")
    rejects = Rejects(skip_bad=True)
    posts = list(import_jsonl(data, source="s", rejects=rejects, options={"columns": {"id": "post_id", "text": "body"}}))
    assert [(r["line"], r["reason"]) for r in rejects.records] == [(1, f"too long (over {MAX_POST_BYTES} bytes): body")]
    assert [p.text for p in posts] == ["half an emoji \ufffd"]  # writable as UTF-8
