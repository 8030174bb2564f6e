"""Bad input in every importer: by default it stops the import at an exact file and line; with
``skip_bad`` the good records still come through and each bad one is written to the rejects file.
Neither the error nor the rejects file may quote the raw record."""
from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

from forum_anecdotes.corpus.importers.discourse import import_discourse
from forum_anecdotes.corpus.importers.generic import import_csv, import_jsonl
from forum_anecdotes.corpus.importers.pushshift import import_pushshift
from forum_anecdotes.io import BadInput, Rejects

#: Put in every bad record (and in the truncated dump): it must never show up in an error.
MARKER = "hidden_wren_41"
SOURCE = "bad_source"
CSV_COLUMNS = {"id": "post_id", "text": "body", "parent_id": "reply_to"}


@dataclasses.dataclass
class BadCase:
    """One input with one bad record, and what the importer must say about it."""

    importer: Callable
    path: Path  # what is imported: a file or a folder
    bad_file: Path  # the file the error names
    bad_line: int | None
    reason: str  # how the reason starts
    good_ids: list[str]  # native ids of the good records, in order
    options: dict | None = None
    min_good: int | None = None  # when only a prefix of good_ids can be read (None: all of them)


def submission(i: int | str, **fields) -> str:
    return json.dumps({"id": f"s{i}", "author": "lantern_moth", "created_utc": 1600000000, "title": f"title {i}",
                       "selftext": "text", **fields}, ensure_ascii=False)


def write_lines(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines))
    return path


def discourse_post(number: int, **fields) -> dict:
    return {"id": 700 + number, "username": "quietfox_22", "created_at": "2023-01-01T00:00:00Z",
            "cooked": f"<p>post {number}</p>", "post_number": number, "reply_to_post_number": None, **fields}


def discourse_topic_text(topic_id: int, posts: list[dict]) -> str:
    # indented, so that JSON errors have a line number other than 1
    return json.dumps({"id": topic_id, "title": "A topic", "post_stream": {"posts": posts}}, indent=1, ensure_ascii=False)


# --------------------------------------------------------------------------- the cases


def pushshift_malformed_json(tmp_path):
    cut_short = f'{{"id": "s2", "author": "{MARKER}", "title": '
    path = write_lines(tmp_path / "dump.ndjson", [submission(1), cut_short, submission(3)])
    return BadCase(import_pushshift, path, path, 2, "malformed JSON", ["t3_s1", "t3_s3"])


def pushshift_missing_field(tmp_path):
    comment = json.dumps({"id": "c2", "author": MARKER, "created_utc": 1600000000, "body": MARKER, "parent_id": "t3_s1"})
    path = write_lines(tmp_path / "dump.ndjson", [submission(1), comment, submission(3)])
    return BadCase(import_pushshift, path, path, 2, "missing field(s): link_id", ["t3_s1", "t3_s3"])


def pushshift_not_utf8(tmp_path):
    latin1 = f'{{"id": "s2", "author": "{MARKER}", "created_utc": 1600000000, "title": "caf\xe9"}}'.encode("latin-1")
    path = write_lines(tmp_path / "dump.ndjson", [submission(1), submission(2), latin1, submission(4)])
    return BadCase(import_pushshift, path, path, 3, "not valid UTF-8", ["t3_s1", "t3_s2", "t3_s4"])


def pushshift_truncated_zst(tmp_path):
    rng = random.Random(3)
    words = ["dose", "calm", "test", "kit", "night", "water", "rest", "friend", "music", "sleep", "slow", "tired"]
    lines = [submission(i, author=MARKER, selftext=" ".join(rng.choices(words, k=40))) for i in range(3000)]
    packed = zstandard.ZstdCompressor().compress(("\n".join(lines) + "\n").encode())
    half = packed[: len(packed) // 2]
    path = tmp_path / "RS_2020-09.ndjson.zst"
    path.write_bytes(half)
    # the whole lines in the first half, counted without the importer: those are the good records
    complete = zstandard.ZstdDecompressor().decompressobj().decompress(half).count(b"\n")
    assert 0 < complete < len(lines)
    return BadCase(import_pushshift, path, path, complete + 1, "truncated or corrupt zstd stream", [f"t3_s{i}" for i in range(complete)])


def jsonl_missing_field(tmp_path):
    path = write_lines(tmp_path / "posts.jsonl", [json.dumps({"post_id": "p1", "body": "fine"}),
                                                  json.dumps({"post_id": "p2", "text": MARKER}),
                                                  json.dumps({"post_id": "p3", "body": "fine"})])
    return BadCase(import_jsonl, path, path, 2, "missing field(s): body", ["p1", "p3"], {"columns": CSV_COLUMNS})


def jsonl_malformed_json(tmp_path):
    path = write_lines(tmp_path / "posts.jsonl", [json.dumps({"post_id": "p1", "body": "fine"}), f'["{MARKER}"]',
                                                  json.dumps({"post_id": "p3", "body": "fine"})])
    return BadCase(import_jsonl, path, path, 2, "malformed JSON: expected an object", ["p1", "p3"], {"columns": CSV_COLUMNS})


def csv_missing_column(tmp_path):
    path = write_lines(tmp_path / "posts.csv", ["post_id,reply_to,text", f"p1,,{MARKER}"])
    return BadCase(import_csv, path, path, 1, "missing column(s): body", [], {"columns": CSV_COLUMNS})


def csv_missing_value(tmp_path):
    path = write_lines(tmp_path / "posts.csv", ["post_id,reply_to,body", "p1,,fine", f",p1,{MARKER}", "p3,p1,fine"])
    return BadCase(import_csv, path, path, 3, "missing value: post_id", ["p1", "p3"], {"columns": CSV_COLUMNS})


def csv_not_utf8(tmp_path):
    rows = ["post_id,reply_to,body", "p1,,fine", "p2,p1,fine", f"p3,p1,{MARKER} caf\xe9".encode("latin-1"), "p4,,fine"]
    path = write_lines(tmp_path / "posts.csv", rows)
    # only the record with the bad byte is rejected; reading goes on after it
    return BadCase(import_csv, path, path, 4, "not valid UTF-8", ["p1", "p2", "p4"], {"columns": CSV_COLUMNS})


def csv_not_utf8_after_8_kib(tmp_path):
    rows = ["post_id,reply_to,body"] + [f"p{i},,a fine row of about forty bytes" for i in range(300)]
    path = write_lines(tmp_path / "posts.csv", rows + [f"bad,,{MARKER} caf\xe9".encode("latin-1"), "last,,fine"])
    good = [f"p{i}" for i in range(300)]
    return BadCase(import_csv, path, path, 302, "not valid UTF-8", good + ["last"], {"columns": CSV_COLUMNS})


def discourse_invalid_json(tmp_path):
    text = discourse_topic_text(1, [discourse_post(1, username=MARKER)])
    broken = text.replace('"post_number": 1', '"post_number" 1')  # a missing colon, some lines in
    bad = tmp_path / "topic_1.json"
    bad.write_text(broken)
    (tmp_path / "topic_2.json").write_text(discourse_topic_text(2, [discourse_post(1), discourse_post(2)]))
    line = broken[: broken.index('"post_number" 1')].count("\n") + 1
    assert line > 1
    return BadCase(import_discourse, tmp_path, bad, line, "malformed JSON: Expecting ':' delimiter", ["701", "702"])


def discourse_not_utf8(tmp_path):
    text = discourse_topic_text(1, [discourse_post(1, username=MARKER, cooked="<p>caf\xe9</p>")])
    bad = tmp_path / "topic_1.json"
    bad.write_bytes(text.encode("latin-1"))
    line = text[: text.index("caf\xe9")].count("\n") + 1
    return BadCase(import_discourse, bad, bad, line, "not valid UTF-8", [])


def discourse_no_posts(tmp_path):
    bad = tmp_path / "topic_1.json"
    bad.write_text(json.dumps({"id": 1, "title": MARKER, "posts_count": 3}))
    return BadCase(import_discourse, bad, bad, None, "no post_stream.posts", [])


def discourse_missing_field(tmp_path):
    incomplete = discourse_post(2, username=MARKER)
    del incomplete["cooked"]
    bad = tmp_path / "topic_1.json"
    bad.write_text(discourse_topic_text(1, [discourse_post(1), incomplete, discourse_post(3)]))
    return BadCase(import_discourse, bad, bad, None, "missing field(s): cooked (post #2)", ["701", "703"])


CASES = [
    pushshift_malformed_json, pushshift_missing_field, pushshift_not_utf8, pushshift_truncated_zst,
    jsonl_missing_field, jsonl_malformed_json,
    csv_missing_column, csv_missing_value, csv_not_utf8, csv_not_utf8_after_8_kib,
    discourse_invalid_json, discourse_not_utf8, discourse_no_posts, discourse_missing_field,
]


def run(case: BadCase, rejects: Rejects) -> list[str]:
    return [p.native_id for p in case.importer(case.path, source=SOURCE, rejects=rejects, options=case.options)]


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("make_case", CASES, ids=lambda f: f.__name__)
def test_default_rejects_raise_naming_file_and_line(tmp_path, make_case):
    case = make_case(tmp_path)
    with pytest.raises(BadInput) as caught:
        run(case, Rejects())
    error = caught.value
    assert (error.file, error.line) == (str(case.bad_file), case.bad_line)
    where = str(case.bad_file) if case.bad_line is None else f"{case.bad_file}:{case.bad_line}"
    assert str(error).startswith(f"{where}: {case.reason}")
    assert MARKER not in str(error)


@pytest.mark.parametrize("make_case", CASES, ids=lambda f: f.__name__)
def test_skip_bad_yields_good_records_and_writes_one_reject(tmp_path, make_case):
    case = make_case(tmp_path)
    rejects = Rejects(skip_bad=True, path=tmp_path / "out" / "rejects.jsonl")
    ids = run(case, rejects)
    if case.min_good is None:
        assert ids == case.good_ids
    else:
        assert len(ids) >= case.min_good and ids == case.good_ids[: len(ids)]
    assert rejects.total == 1
    rejects.write()
    written = (tmp_path / "out" / "rejects.jsonl").read_text(encoding="utf-8")
    assert MARKER not in written
    [record] = [json.loads(line) for line in written.splitlines()]
    assert record.keys() == {"source", "file", "line", "reason"}
    assert (record["source"], record["file"], record["line"]) == (SOURCE, str(case.bad_file), case.bad_line)
    assert record["reason"].startswith(case.reason)


def test_every_bad_line_of_a_file_is_counted(tmp_path):
    latin1 = submission(4, title="caf\xe9").encode("latin-1")
    no_id = json.dumps({"author": MARKER, "created_utc": 1, "title": "t"})
    path = write_lines(tmp_path / "dump.ndjson", [submission(1), "{not json", no_id, latin1, submission(5)])
    rejects = Rejects(skip_bad=True, path=tmp_path / "rejects.jsonl")
    assert [p.native_id for p in import_pushshift(path, source=SOURCE, rejects=rejects)] == ["t3_s1", "t3_s5"]
    assert rejects.total == 3
    assert rejects.counts[(SOURCE, "malformed JSON")] == rejects.counts[(SOURCE, "missing field(s)")] == 1
    assert sum(rejects.counts.values()) == 3
    rejects.write()
    assert [json.loads(line)["line"] for line in (tmp_path / "rejects.jsonl").read_text().splitlines()] == [2, 3, 4]
