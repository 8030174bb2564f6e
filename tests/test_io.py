import json

import pytest
import zstandard

from forum_anecdotes.corpus.io import BadInput, Rejects, atomic_write, iter_csv_rows, iter_json_lines, iter_text_lines


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
