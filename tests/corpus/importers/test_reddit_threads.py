"""The reddit_threads importers on small invented fixtures laid out like the real ``reddit_threads/``.

``drugs_researchchemicals/``: two JSON files sharing thread abc123 (the second copy differs, so
that the first file can be seen to win), a ``replies`` kept as a Python dict repr, string numbers.
``opiates/``: three comment files (k7aa01: a tree with a repeated row; k7aa02: empty; k7aa03: no
submission row) and ``submissions.csv``, gzipped by the ``threads`` fixture into the real layout.
"""
from __future__ import annotations

import collections
import datetime as dt
import gzip
import json
import shutil
import tracemalloc
from pathlib import Path

import pytest

from forum_anecdotes.corpus.importers import get_importer
from forum_anecdotes.corpus.importers.reddit_threads import (
    import_opiates_comment_trees,
    import_opiates_submissions,
    import_reddit_json_threads,
    import_reddit_threads,
)
from forum_anecdotes.io import BadInput, Rejects

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "reddit_threads"
SOURCE = "reddit_threads"
#: Put in every bad record: it must never show up in a reject.
MARKER = "hidden_wren_41"

JSON_IDS = ["abc123", "c100001", "c100002", "c100003", "c100004", "abd456",
            "abe789", "c200001", "c200002", "c200003", "c200004"]
TREE_IDS = ["k7aa01", "c7b0001", "c7b0002", "c7b0003", "c7b0004", "k7aa02", "c7c0001", "c7c0002"]
COMMENT_ROW = "{id},https://example.org/x,{parent},{body},{author},{created}\n"


@pytest.fixture
def threads(tmp_path) -> Path:
    """A copy of the fixture folder with ``opiates/submissions.csv`` gzipped, as in the real data."""
    root = tmp_path / "reddit_threads"
    shutil.copytree(FIXTURES, root)
    plain = root / "opiates" / "submissions.csv"
    (root / "opiates" / "submissions.csv.gz").write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    plain.unlink()
    return root


def read(importer, path, rejects=None, **kwargs):
    return list(importer(path, source=SOURCE, rejects=rejects if rejects is not None else Rejects(), **kwargs))


def by_id(posts):
    return {p.native_id: p for p in posts}


def check_trees(posts, *, missing_openers=()):
    """Ids unique; order increasing; each thread opens with its submission; every parent is in the
    same thread and yielded before its child (a thread in ``missing_openers`` has no opening post)."""
    ids = [p.native_id for p in posts]
    assert len(set(ids)) == len(ids)
    assert all(a.order < b.order for a, b in zip(posts, posts[1:]))
    yielded = {}
    for post in posts:
        if post.parent_native_id is None:
            assert post.native_id == post.thread_native_id
        elif post.parent_native_id == post.thread_native_id and post.thread_native_id in missing_openers:
            assert post.thread_native_id not in yielded
        else:
            assert yielded[post.parent_native_id] == post.thread_native_id
        yielded[post.native_id] = post.thread_native_id


# --------------------------------------------------------------------------- JSON threads


def test_json_threads_ids_threads_parents_and_order():
    posts = read(import_reddit_json_threads, FIXTURES / "drugs_researchchemicals")
    assert [p.native_id for p in posts] == JSON_IDS
    check_trees(posts)
    p = by_id(posts)
    assert [p[i].thread_native_id for i in JSON_IDS] == ["abc123"] * 5 + ["abd456"] + ["abe789"] * 5
    assert p["abc123"].parent_native_id is None
    # depth-first: c100001 <- c100002 <- c100003, then the second top-level comment
    assert [p[i].parent_native_id for i in ("c100001", "c100002", "c100003", "c100004")] == ["abc123", "c100001", "c100002", "abc123"]
    assert [p.order for p in posts] == list(range(len(posts)))
    assert {p.source for p in posts} == {SOURCE}


def test_json_threads_fields():
    p = by_id(read(import_reddit_json_threads, FIXTURES / "drugs_researchchemicals"))
    assert p["abc123"].title == "Tapering off kratom, week two"
    assert p["abc123"].text.startswith("Invented example: dropped one dose")
    assert p["abc123"].author == "teal_heron_7"
    assert p["abc123"].created == dt.datetime(2020, 9, 25, 12, 0, tzinfo=dt.timezone.utc)
    assert p["abd456"].created == dt.datetime(2020, 9, 27, 9, 46, 40, tzinfo=dt.timezone.utc)  # a string in the file
    assert (p["abd456"].author, p["abd456"].title, p["abd456"].text) == ("[deleted]", "Invented question whose text was removed", "")
    assert {p[i].community for i in JSON_IDS[:6]} == {"r/drugs"}
    assert {p[i].community for i in JSON_IDS[6:]} == {"r/researchchemicals"}
    comments = [p[i] for i in JSON_IDS if i.startswith("c")]
    assert all(c.author is None and c.title is None for c in comments)  # the files have no comment authors
    assert p["c100001"].text == "Invented reply: go slower if the sleep gets worse."
    assert p["c200004"].text == "[deleted]"  # comment bodies are kept as they are
    assert p["c200001"].created == dt.datetime(2020, 10, 6, 16, 8, 20, tzinfo=dt.timezone.utc)


def test_thread_in_two_files_is_yielded_once_from_the_first_file():
    folder = FIXTURES / "drugs_researchchemicals"
    skipped = collections.Counter()
    posts = read(import_reddit_json_threads, folder, skipped=skipped)
    abc = [post for post in posts if post.thread_native_id == "abc123"]
    assert [post.native_id for post in abc] == ["abc123", "c100001", "c100002", "c100003", "c100004"]
    assert {post.origin.file for post in abc} == {str(folder / "drugs_kratom_year.json")}
    assert abc[0].title == "Tapering off kratom, week two"  # not the second file's title
    assert skipped == {"repeated thread": 1}
    # each file alone has the thread
    assert "abc123" in by_id(read(import_reddit_json_threads, folder / "researchchemicals_kratom_year.json"))


def test_replies_kept_as_a_python_dict_repr_are_read():
    p = by_id(read(import_reddit_json_threads, FIXTURES / "drugs_researchchemicals" / "researchchemicals_kratom_year.json"))
    assert p["c200002"].parent_native_id == "c200001"
    assert p["c200002"].text == "Invented reply kept as a Python dict repr, it's quoted"
    assert p["c200003"].parent_native_id == "c200002"  # "replies": "" inside the repr means none
    assert p["c200004"].parent_native_id == "abe789"


def write_json(path: Path, threads: dict) -> Path:
    path.write_text(json.dumps(threads, indent=1))
    return path


def comment(body, created=1602000000.0, replies=None):
    return {"body": body, "score": 1, "is_submitter": False, "created": created, "replies": {} if replies is None else replies}


def submission(comments, **fields):
    return {"title": "Invented", "text": "x", "author": "teal_heron_7", "created": 1602000000.0, "subreddit": "Drugs",
            "comments": comments, **fields}


def test_unparseable_replies_string_is_a_counted_reject_and_the_comment_stays(tmp_path):
    broken = "{'c3': {'body': '" + MARKER + "', 'replies': {"  # cut short
    file = write_json(tmp_path / "t.json", {"s1": submission({"c1": comment("fine", replies=broken), "c2": comment("fine too")})})
    with pytest.raises(BadInput) as caught:
        read(import_reddit_json_threads, file)
    assert (caught.value.file, caught.value.line) == (str(file), None)
    rejects = Rejects(skip_bad=True)
    assert [p.native_id for p in read(import_reddit_json_threads, file, rejects)] == ["s1", "c1", "c2"]
    [record] = rejects.records
    assert record["file"] == str(file)
    assert record["reason"].startswith("unparseable replies")
    assert "comment s1/c1" in record["reason"] and MARKER not in record["reason"]
    assert rejects.counts[(SOURCE, "unparseable replies")] == 1


def test_bad_comment_is_rejected_and_its_replies_still_name_it(tmp_path):
    tree = {"c1": comment(MARKER, created="not a date", replies={"c2": comment("reply")}),
            "c3": {"score": 1, "created": 1602000000.0, "replies": {}}}
    file = write_json(tmp_path / "t.json", {"s1": submission(tree), "s2": submission({}, created=None)})
    rejects = Rejects(skip_bad=True)
    posts = by_id(read(import_reddit_json_threads, file, rejects))
    assert list(posts) == ["s1", "c2"]
    assert posts["c2"].parent_native_id == "c1"  # not in the input: the build treats it as unknown
    assert [r["reason"] for r in rejects.records] == [
        "wrong type or format: created (comment s1/c1)",
        "missing field(s): body (comment s1/c3)",
        "missing field(s): created (submission s2)",
    ]
    assert all(MARKER not in r["reason"] for r in rejects.records)


def test_malformed_json_file_is_rejected_and_the_next_file_is_read(tmp_path):
    (tmp_path / "a.json").write_text('{"s1": {"title": "' + MARKER + '",\n "text" "x"}}')
    write_json(tmp_path / "b.json", {"s2": submission({"c1": comment("fine")})})
    (tmp_path / "c.json").write_text("[1, 2]")
    rejects = Rejects(skip_bad=True)
    assert [p.native_id for p in read(import_reddit_json_threads, tmp_path, rejects)] == ["s2", "c1"]
    assert [(r["file"], r["line"], r["reason"].split(":")[0]) for r in rejects.records] == [
        (str(tmp_path / "a.json"), 2, "malformed JSON"), (str(tmp_path / "c.json"), None, "malformed JSON")]


# --------------------------------------------------------------------------- r/opiates comment trees


def test_opiates_trees_ids_threads_parents(threads):
    posts = read(import_opiates_comment_trees, threads / "opiates")
    assert [p.native_id for p in posts] == TREE_IDS
    check_trees(posts, missing_openers={"k7aa03"})
    p = by_id(posts)
    assert [p[i].thread_native_id for i in TREE_IDS] == ["k7aa01"] * 5 + ["k7aa02"] + ["k7aa03"] * 2
    assert [p[i].parent_native_id for i in TREE_IDS] == [None, "k7aa01", "c7b0001", "k7aa01", "c7b0002", None, "k7aa03", "c7c0001"]
    assert [p.order for p in posts] == list(range(len(posts)))
    assert {p.community for p in posts} == {"r/opiates"}


def test_opiates_trees_fields(threads):
    p = by_id(read(import_opiates_comment_trees, threads / "opiates"))
    opener = p["k7aa01"]
    assert (opener.title, opener.text, opener.author) == ("Invented opening post of a tree", "Invented opening text\nover two lines", "teal_heron_7")
    assert opener.created == dt.datetime(2017, 7, 14, 2, 40, tzinfo=dt.timezone.utc)
    assert opener.origin.file == str(threads / "opiates" / "submissions.csv.gz") and opener.origin.line == 3
    assert (p["k7aa02"].title, p["k7aa02"].text) == ("Opening post of an empty comment file", "")  # [removed]
    assert p["c7b0002"].text == "Invented reply, with a comma and\na second line"
    assert p["c7b0002"].author == "saltmarsh_wren"  # the first of the two rows with this id
    assert p["c7b0003"].author is None  # empty
    assert p["c7b0004"].author == "[deleted]"
    assert p["c7b0001"].created == dt.datetime(2017, 7, 14, 2, 41, 40, tzinfo=dt.timezone.utc)
    assert all(p[i].title is None for i in TREE_IDS if i.startswith("c"))
    assert (p["c7b0004"].origin.file, p["c7b0004"].origin.line) == (str(threads / "opiates" / "comments" / "opiates_k7aa01.csv"), 5)


def test_opiates_trees_count_repeats(threads):
    skipped = collections.Counter()
    read(import_opiates_comment_trees, threads / "opiates", skipped=skipped)
    # c7b0002 twice in its file; k7aa01's bytes-exported twin in submissions.csv.gz
    assert skipped == {"repeated comment": 1, "repeated submission": 1}


def test_opiates_trees_read_a_plain_submissions_csv_too(threads):
    assert [p.native_id for p in read(import_opiates_comment_trees, FIXTURES / "opiates")] == TREE_IDS


def test_reply_before_its_parent_is_held_back_and_a_loop_is_rejected(tmp_path):
    folder = tmp_path / "opiates"
    (folder / "comments").mkdir(parents=True)
    (folder / "submissions.csv").write_text("submission_id,url,num_comments,shortlink,author,title,selftext,created_utc\n"
                                            "s1,u,3,l,teal_heron_7,Invented,,1500000000\n")
    rows = [("r2", "t1_r1", "reply first"), ("r1", "t3_s1", "parent later"), ("r3", "t1_r2", "grandchild"),
            ("x1", "t1_x2", MARKER), ("x2", "t1_x1", MARKER), ("o1", "t1_gone", "parent not in the file")]
    (folder / "comments" / "opiates_s1.csv").write_text(
        "".join(COMMENT_ROW.format(id=i, parent=parent, body=body, author="quiet_otter_3", created=1500000100) for i, parent, body in rows))
    rejects = Rejects(skip_bad=True)
    posts = read(import_opiates_comment_trees, folder, rejects)
    assert [p.native_id for p in posts] == ["s1", "r1", "r2", "r3", "o1"]
    assert by_id(posts)["o1"].parent_native_id == "gone"
    assert [(r["line"], r["reason"].split(":")[0]) for r in rejects.records] == [(4, "reply loop"), (5, "reply loop")]


def test_bad_comment_rows_are_counted_rejects(tmp_path):
    folder = tmp_path / "opiates"
    (folder / "comments").mkdir(parents=True)
    (folder / "submissions.csv").write_text("submission_id,url,num_comments,shortlink,author,title,selftext,created_utc\n")
    good = COMMENT_ROW.format(id="g1", parent="t3_s1", body="fine", author="quiet_otter_3", created=1500000100)
    bad = [
        f"b1,u,t3_s1,{MARKER},{MARKER}\n",  # 5 fields
        COMMENT_ROW.format(id="b2", parent="t3_other", body=MARKER, author=MARKER, created=1500000100),
        COMMENT_ROW.format(id="b3", parent="s1", body=MARKER, author=MARKER, created=1500000100),
        COMMENT_ROW.format(id="b4", parent="t3_s1", body=MARKER, author=MARKER, created="yesterday"),
        COMMENT_ROW.format(id="", parent="t3_s1", body=MARKER, author=MARKER, created=1500000100),
        b"b6,u,t3_s1,caf\xe9,x,1\n",  # latin-1
    ]
    data = good.encode() + b"".join(b if isinstance(b, bytes) else b.encode() for b in bad) + good.replace("g1", "g2").encode()
    (folder / "comments" / "opiates_s1.csv").write_bytes(data)
    (folder / "comments" / "notes.csv").write_text(good)
    with pytest.raises(BadInput):
        read(import_opiates_comment_trees, folder)
    rejects = Rejects(skip_bad=True)
    assert [p.native_id for p in read(import_opiates_comment_trees, folder, rejects)] == ["g1", "g2"]
    reasons = [(Path(r["file"]).name, r["line"], r["reason"]) for r in rejects.records]
    assert reasons == [
        ("notes.csv", None, "comment file not named opiates_<submission id>.csv: not read"),
        ("opiates_s1.csv", 2, "wrong number of fields: expected 6, found 5"),
        ("opiates_s1.csv", 3, "wrong type or format: parent_id (a submission other than the file's)"),
        ("opiates_s1.csv", 4, "wrong type or format: parent_id"),
        ("opiates_s1.csv", 5, "wrong type or format: created_utc"),
        ("opiates_s1.csv", 6, "missing value: comment_id"),
        ("opiates_s1.csv", 7, "not valid UTF-8: byte 14 of the line"),
    ]
    assert all(MARKER not in r["reason"] for r in rejects.records)


# --------------------------------------------------------------------------- the whole folder, the registry


def test_reddit_threads_reads_json_then_opiates(threads):
    skipped = collections.Counter()
    rejects = Rejects()
    posts = read(import_reddit_threads, threads, rejects=rejects, skipped=skipped)
    assert [p.native_id for p in posts] == JSON_IDS + TREE_IDS
    check_trees(posts, missing_openers={"k7aa03"})
    assert [p.order for p in posts] == list(range(len(posts)))
    assert collections.Counter(p.community for p in posts) == {"r/drugs": 6, "r/researchchemicals": 5, "r/opiates": 8}
    assert skipped == {"repeated thread": 1, "repeated comment": 1, "repeated submission": 1}
    # the build reads the same counts from the rejects: skips are counted, never errors
    assert rejects.skipped == {(SOURCE, reason): 1 for reason in skipped} and rejects.total == 0


def test_importers_are_registered():
    for name, function in [("reddit_json_threads", import_reddit_json_threads), ("opiates_comment_trees", import_opiates_comment_trees),
                           ("reddit_threads", import_reddit_threads), ("opiates_submissions", import_opiates_submissions)]:
        assert get_importer(name) is function


@pytest.mark.parametrize("importer", [import_reddit_threads, import_reddit_json_threads, import_opiates_comment_trees, import_opiates_submissions])
def test_missing_path_is_a_catalogue_error_at_the_call(tmp_path, importer):
    with pytest.raises(FileNotFoundError, match=SOURCE):
        importer(tmp_path / "absent", source=SOURCE, rejects=Rejects())


# --------------------------------------------------------------------------- all r/opiates submissions


def test_opiates_submissions_every_row_is_a_one_post_thread(threads):
    skipped = collections.Counter()
    posts = read(import_opiates_submissions, threads / "opiates" / "submissions.csv.gz", skipped=skipped)
    assert [p.native_id for p in posts] == ["k7aa00", "k7aa01", "k7aa02", "k7aa05", "k7aa06"]
    assert skipped == {"repeated submission": 1}  # k7aa01's bytes-exported twin
    assert all(p.thread_native_id == p.native_id and p.parent_native_id is None for p in posts)
    assert {p.community for p in posts} == {"r/opiates"}
    assert [p.origin.line for p in posts] == [2, 3, 6, 7, 8]  # k7aa01's text spans two lines
    assert [p.order for p in posts] == sorted(p.order for p in posts)
    p = by_id(posts)
    assert (p["k7aa02"].title, p["k7aa02"].text) == ("Opening post of an empty comment file", "")  # [removed]
    assert (p["k7aa06"].author, p["k7aa06"].text) == (None, "")
    # a row exported from Python bytes is decoded
    assert (p["k7aa05"].title, p["k7aa05"].text) == ("Caf\u00e9 notes, invented", "Line one\nLine two \u2014 done")
    assert p["k7aa05"].created == dt.datetime(2017, 7, 16, 10, 13, 20, tzinfo=dt.timezone.utc)


def test_opiates_submissions_reads_plain_csv_and_the_folder(threads):
    expected = [p.native_id for p in read(import_opiates_submissions, threads / "opiates")]
    assert [p.native_id for p in read(import_opiates_submissions, FIXTURES / "opiates" / "submissions.csv")] == expected
    assert len(expected) == 5


def _write_big_submissions(path: Path, n: int) -> int:
    """A gzipped submissions file of ``n`` rows of about 2 KB; returns its decompressed size."""
    text = "invented words about a slow taper and a long week " * 40
    size = 0
    with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=1) as f:
        header = "submission_id,url,num_comments,shortlink,author,title,selftext,created_utc\r\n"
        f.write(header)
        size += len(header)
        for i in range(n):
            row = f"s{i:06x},https://example.org/{i},0,https://redd.it/s{i:06x},user_{i % 97},Title {i},\"{text}\",{1300000000 + i}.0\r\n"
            f.write(row)
            size += len(row)
    return size


def test_opiates_submissions_stream_with_flat_memory(tmp_path):
    path = tmp_path / "submissions.csv.gz"
    size = _write_big_submissions(path, 15_000)
    assert size > 30_000_000
    tracemalloc.start()
    try:
        count = 0
        for post in import_opiates_submissions(path, source=SOURCE, rejects=Rejects()):
            count += 1
            if count == 1_000:
                early, _ = tracemalloc.get_traced_memory()
        late, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 15_000
    assert peak < 10_000_000  # a few MB: the set of ids seen and buffers, never the file (30 MB)
    assert late - early < 5_000_000  # grows by the ids only (about 100 bytes each)


def test_truncated_submissions_gz_keeps_the_rows_before_the_break(tmp_path):
    path = tmp_path / "submissions.csv.gz"
    _write_big_submissions(path, 3_000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    rejects = Rejects(skip_bad=True)
    posts = read(import_opiates_submissions, path, rejects)
    assert 0 < len(posts) < 3_000
    assert [p.native_id for p in posts] == [f"s{i:06x}" for i in range(len(posts))]
    [record] = rejects.records
    assert record["line"] == len(posts) + 2
    assert record["reason"].startswith(f"truncated or corrupt gzip stream: after line {len(posts) + 1}, the rest of the file is lost")


def test_bad_submission_rows_are_counted_rejects(tmp_path):
    path = tmp_path / "submissions.csv"
    path.write_bytes(
        b"submission_id,url,num_comments,shortlink,author,title,selftext,created_utc\n"
        b"s1,u,0,l,teal_heron_7,Fine,,1500000000\n"
        + f"s2,u,0,l,{MARKER},{MARKER},,yesterday\n".encode()
        + f",u,0,l,{MARKER},{MARKER},,1500000000\n".encode()
        + f"s4,u,0,l,{MARKER},{MARKER}\n".encode()
        + f"b's5',u,0,l,{MARKER},b'\\xff{MARKER}',b'',1500000000\n".encode()
        + b"s6,u,0,l,teal_heron_7,Fine,,1500000000\n"
    )
    rejects = Rejects(skip_bad=True)
    assert [p.native_id for p in read(import_opiates_submissions, path, rejects)] == ["s1", "s6"]
    assert [(r["line"], r["reason"]) for r in rejects.records] == [
        (3, "wrong type or format: created_utc"),
        (4, "missing value: submission_id"),
        (5, "wrong number of fields: expected 8, found 6"),
        (6, "wrong type or format: title (a bytes literal that is not UTF-8)"),
    ]
    assert all(MARKER not in r["reason"] for r in rejects.records)
