import gzip
import json
import tracemalloc

import pytest
import zstandard

from forum_anecdotes.io import BadInput, Rejects, atomic_write, iter_csv_rows, iter_json_lines, iter_text_lines


def test_zst_with_several_frames_reads_every_line(tmp_path):
    path = tmp_path / "x.ndjson.zst"
    c = zstandard.ZstdCompressor()
    path.write_bytes(c.compress(b'{"a": 1}\n{"a": 2}\n') + c.compress(b'{"a": 3}\n'))
    assert [obj["a"] for _, obj in iter_json_lines(path, rejects=Rejects())] == [1, 2, 3]


def test_truncated_zst_names_the_line_after_the_last_complete_one(tmp_path):
    data = b"".join(b'{"n": %d}\n' % i for i in range(50_000))
    full = zstandard.ZstdCompressor().compress(data)
    path = tmp_path / "cut.zst"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(BadInput, match=r"cut.zst:\d+: truncated or corrupt zstd stream") as e:
        list(iter_text_lines(path))
    assert 0 < e.value.line < 50_000


def test_non_utf8_line_is_named_and_skippable(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": "\xff"}\n{"a": 3}\n')
    with pytest.raises(BadInput, match=r"x.jsonl:2: not valid UTF-8"):
        list(iter_json_lines(path, rejects=Rejects()))
    rejects = Rejects(skip_bad=True)
    assert [o["a"] for _, o in iter_json_lines(path, rejects=rejects)] == [1, 3]
    assert rejects.records == [{"source": "", "file": str(path), "line": 2, "reason": "not valid UTF-8: byte 7 of the line"}]


def test_csv_reports_missing_column_at_line_1_and_short_rows_at_their_line(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('id,text\n1,"multi\nline"\n2\n3,ok\n', encoding="utf-8")
    with pytest.raises(BadInput, match=r"x.csv:1: missing column\(s\): author"):
        list(iter_csv_rows(path, required=["id", "author"], rejects=Rejects()))
    rejects = Rejects(skip_bad=True)
    rows = list(iter_csv_rows(path, required=["id", "text"], rejects=rejects))
    assert [(line, row["id"]) for line, row in rows] == [(2, "1"), (5, "3")]
    assert rejects.records[0]["line"] == 4 and "wrong number of fields" in rejects.records[0]["reason"]


def test_rejects_file_holds_location_and_reason_only(tmp_path):
    rejects = Rejects(skip_bad=True, path=tmp_path / "rejects.jsonl")
    rejects.handle(BadInput("raw.jsonl", 7, "malformed JSON: Expecting value at column 1"), source="s")
    rejects.write()
    (line,) = (tmp_path / "rejects.jsonl").read_text().splitlines()
    assert json.loads(line) == {"source": "s", "file": "raw.jsonl", "line": 7, "reason": "malformed JSON: Expecting value at column 1"}
    assert rejects.counts[("s", "malformed JSON")] == 1


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as f:
            f.write("half")
            raise RuntimeError("crash")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


# --------------------------------------------------------------------------- gzip, headerless CSV, bad bytes in CSV


def _numbered_lines(n: int) -> bytes:
    # varied enough that the compressed file is many blocks long
    return b"".join(b'{"n": %d, "pad": "%x"}\n' % (i, i * 2654435761 % 2**32) for i in range(n))


def test_gz_reads_like_plain_file_and_concatenated_members(tmp_path):
    plain = tmp_path / "x.jsonl"
    plain.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": 3}')  # no final newline
    packed = tmp_path / "x.jsonl.gz"
    packed.write_bytes(gzip.compress(b'{"a": 1}\n{"a": 2}\n') + gzip.compress(b'{"a": 3}'))
    assert list(iter_text_lines(packed)) == list(iter_text_lines(plain)) == [(1, '{"a": 1}'), (2, '{"a": 2}'), (3, '{"a": 3}')]
    assert [obj["a"] for _, obj in iter_json_lines(packed, rejects=Rejects())] == [1, 2, 3]


def test_gz_is_read_as_a_stream(tmp_path):
    path = tmp_path / "big.jsonl.gz"
    line = b'{"text": "' + b"a long and very repetitive line " * 8 + b'"}\n'
    with gzip.open(path, "wb", compresslevel=1) as f:
        for _ in range(100):
            f.write(line * 1000)  # 100,000 lines, about 26 MB once decompressed
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_text_lines(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert peak < 2_000_000  # a few buffers, never the file


def test_truncated_gz_names_the_line_after_the_last_complete_one(tmp_path):
    data = _numbered_lines(50_000)
    full = gzip.compress(data)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(full[: len(full) // 2])
    seen = []
    with pytest.raises(BadInput, match=r"cut.jsonl.gz:\d+: truncated or corrupt gzip stream: after line \d+, the rest of the file is lost") as e:
        for line_no, line in iter_text_lines(path):
            seen.append(line_no)
    assert seen == list(range(1, len(seen) + 1)) and 0 < len(seen) < 50_000
    assert e.value.line == len(seen) + 1
    assert f"after line {len(seen)}," in e.value.reason


def test_truncated_gz_under_skip_bad_is_one_counted_reject_saying_where_it_broke_off(tmp_path):
    full = gzip.compress(_numbered_lines(50_000))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(full[: len(full) // 2])
    rejects = Rejects(skip_bad=True)
    good = [obj["n"] for _, obj in iter_json_lines(path, rejects=rejects, source="s")]
    assert good == list(range(len(good))) and 0 < len(good) < 50_000
    [record] = rejects.records
    assert record["line"] == len(good) + 1
    assert record["reason"].startswith(f"truncated or corrupt gzip stream: after line {len(good)}, the rest of the file is lost")
    assert rejects.counts[("s", "truncated or corrupt gzip stream")] == 1


def test_truncated_gz_csv_under_skip_bad_keeps_the_rows_before_the_break(tmp_path):
    rows = b"id,text\n" + b"".join(b"%d,row number %d padded %x\n" % (i, i, i * 2654435761 % 2**32) for i in range(30_000))
    full = gzip.compress(rows)
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(full[: len(full) // 2])
    rejects = Rejects(skip_bad=True)
    got = list(iter_csv_rows(path, required=["id"], rejects=rejects))
    assert [row["id"] for _, row in got] == [str(i) for i in range(len(got))] and got
    [record] = rejects.records
    assert record["line"] == len(got) + 2  # the header is line 1
    assert f"after line {len(got) + 1}, the rest of the file is lost" in record["reason"]


def test_not_a_gzip_file_is_bad_input_at_line_1(tmp_path):
    path = tmp_path / "fake.csv.gz"
    path.write_bytes(b"id,text\n1,plain text\n")
    with pytest.raises(BadInput, match=r"fake.csv.gz:1: truncated or corrupt gzip stream: after line 0"):
        list(iter_text_lines(path))


def test_truncated_zst_reason_says_the_rest_is_lost(tmp_path):
    full = zstandard.ZstdCompressor().compress(_numbered_lines(50_000))
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(full[: len(full) // 2])
    rejects = Rejects(skip_bad=True)
    good = list(iter_json_lines(path, rejects=rejects))
    [record] = rejects.records
    assert record["line"] == len(good) + 1
    assert f"after line {len(good)}, the rest of the file is lost" in record["reason"]


def test_headerless_csv_with_fieldnames(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('a1,"two\nlines",x\na2,,y\na3,short\n,z,w\n', encoding="utf-8")
    rejects = Rejects(skip_bad=True)
    rows = list(iter_csv_rows(path, fieldnames=("id", "text", "tag"), required=["id"], rejects=rejects))
    assert rows == [(1, {"id": "a1", "text": "two\nlines", "tag": "x"}), (3, {"id": "a2", "text": "", "tag": "y"})]
    assert [(r["line"], r["reason"].split(":")[0]) for r in rejects.records] == [(4, "wrong number of fields"), (5, "missing value")]


def test_headerless_csv_reads_gz_and_an_empty_file_has_no_rows(tmp_path):
    packed = tmp_path / "x.csv.gz"
    packed.write_bytes(gzip.compress(b"a1,one\r\na2,two\r\n"))
    rows = list(iter_csv_rows(packed, fieldnames=("id", "text"), required=["id"], rejects=Rejects()))
    assert rows == [(1, {"id": "a1", "text": "one"}), (2, {"id": "a2", "text": "two"})]
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert list(iter_csv_rows(empty, fieldnames=("id", "text"), required=["id"], rejects=Rejects())) == []
    # with a header expected, an empty file is still bad input
    with pytest.raises(BadInput, match="empty file: no CSV header"):
        list(iter_csv_rows(empty, required=["id"], rejects=Rejects()))


def test_headerless_csv_with_an_unknown_required_column_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a1,one\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"x.csv:1: missing column\(s\): author"):
        list(iter_csv_rows(path, fieldnames=("id", "text"), required=["author"], rejects=Rejects()))


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_csv_bad_byte_rejects_only_its_record_and_reading_goes_on(tmp_path, suffix):
    data = "id,text\n1,fine\n2,caf\xe9 with a bad byte\n3,fine\n4,fine\n".encode("latin-1")
    path = tmp_path / f"x{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    with pytest.raises(BadInput, match=r"x.csv(.gz)?:3: not valid UTF-8: byte 5 of the line"):
        list(iter_csv_rows(path, required=["id"], rejects=Rejects()))
    rejects = Rejects(skip_bad=True)
    rows = list(iter_csv_rows(path, required=["id"], rejects=rejects))
    assert [(line, row["id"]) for line, row in rows] == [(2, "1"), (4, "3"), (5, "4")]
    assert rejects.records == [{"source": "", "file": str(path), "line": 3, "reason": "not valid UTF-8: byte 5 of the line"}]
    assert all(row["text"] == "fine" for _, row in rows)


def test_csv_bad_byte_inside_a_multiline_record_names_its_line_and_the_record(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b'id,text\n1,"first\nsecond \xff\nthird"\n2,fine\n')
    rejects = Rejects(skip_bad=True)
    rows = list(iter_csv_rows(path, required=["id"], rejects=rejects))
    assert [(line, row["id"]) for line, row in rows] == [(5, "2")]
    [record] = rejects.records
    assert record["line"] == 3
    assert record["reason"] == "not valid UTF-8: byte 7 of the line (in the record that starts at line 2)"


def test_csv_bad_byte_in_the_header_stops_the_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"id,t\xffext\n1,fine\n")
    rejects = Rejects(skip_bad=True)
    assert list(iter_csv_rows(path, required=["id"], rejects=rejects)) == []
    assert rejects.records[0]["line"] == 1 and "the rest of the file is not read" in rejects.records[0]["reason"]


def test_jsonl_bad_byte_rejects_only_its_line_in_gz_too(tmp_path):
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n{"a": "\xff"}\n{"a": 3}\n{"a": 4}\n'))
    rejects = Rejects(skip_bad=True)
    assert [o["a"] for _, o in iter_json_lines(path, rejects=rejects)] == [1, 3, 4]
    assert [(r["line"], r["reason"]) for r in rejects.records] == [(2, "not valid UTF-8: byte 7 of the line")]
