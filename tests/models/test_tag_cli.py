"""The tag command: every input kind, outputs, bad lines, rejects, the summary; the benchmark command."""
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard

from forum_anecdotes.cli.tag import main
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models import tag as tag_module

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "tag"

KEY = "forum-anecdotes-test-key-0123456789"


@pytest.fixture(autouse=True)
def test_key(monkeypatch):
    monkeypatch.setenv("FORUM_ANECDOTES_KEY", KEY)


def run(capsys, *argv, command="tag"):
    code = main(list(map(str, argv)), command=command)
    out = capsys.readouterr()
    return code, out.out, out.err


def read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_jsonl_in_jsonl_out_with_summary_and_progress(capsys, tmp_path, model_dir):
    out = tmp_path / "tags.jsonl"
    code, stdout, stderr = run(capsys, FIXTURES / "posts.jsonl", "--output", out, "--model", model_dir, "--batch-size", 4)
    assert code == 0, stderr
    records = read_jsonl(out)
    assert [r["id"] for r in records] == ["p1", 2, "p3", "p4", "p5"]
    assert records[0]["meta"] == {"score": 3, "flair": "experience"} and records[0]["forum"] == "antidepressants"
    for r in records:
        assert set(r["scores"]) == set(LABEL_NAMES) and set(r["evidence"]) == set(r["labels"])
        assert r["model"] == {"name": "tiny-test", "version": "0.0.1"}
    # the e-mail address is in no output text
    assert "example.org" not in out.read_text(encoding="utf-8") and "[EMAIL]" in records[0]["text"]
    assert "tag:" in stderr and "posts" in stderr  # the progress bar
    assert "Posts per label" in stdout and "Tagged 5 posts with tiny-test 0.0.1" in stdout
    for label in LABEL_NAMES:
        count = sum(label in r["labels"] for r in records)
        assert any(label in line and f" {count} " in line for line in stdout.splitlines())
    assert not (tmp_path / "tags.jsonl.rejects.jsonl").exists()


def test_gz_and_zst_inputs_give_the_same_tags(capsys, tmp_path, model_dir):
    data = (FIXTURES / "posts.jsonl").read_bytes()
    (tmp_path / "posts.jsonl.gz").write_bytes(gzip.compress(data))
    (tmp_path / "posts.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(data))
    results = []
    for name in ("posts.jsonl.gz", "posts.jsonl.zst"):
        out = tmp_path / f"{name}.tags.jsonl"
        assert run(capsys, tmp_path / name, "-o", out, "--model", model_dir, "--no-progress")[0] == 0
        results.append(read_jsonl(out))
    assert run(capsys, FIXTURES / "posts.jsonl", "-o", tmp_path / "plain.jsonl", "--model", model_dir)[0] == 0
    assert results[0] == results[1] == read_jsonl(tmp_path / "plain.jsonl")
    # --no-evidence: the same tags, evidence left empty
    assert run(capsys, FIXTURES / "posts.jsonl", "-o", tmp_path / "bare.jsonl", "--model", model_dir, "--no-evidence")[0] == 0
    assert read_jsonl(tmp_path / "bare.jsonl") == [{**r, "evidence": {}} for r in results[0]]


def test_csv_with_named_columns(capsys, tmp_path, model_dir):
    out = tmp_path / "tags.jsonl"
    code, _, stderr = run(capsys, FIXTURES / "posts.csv", "-o", out, "--model", model_dir,
                          "--text-column", "body", "--id-column", "post_id")
    assert code == 0, stderr
    records = read_jsonl(out)
    assert [r["post_id"] for r in records] == ["c1", "c2", "c3"]
    assert [r["forum"] for r in records] == ["antidepressants", "askdocs", "depression"]
    assert records[1]["body"] == "Two lines here.\nAsk me at [EMAIL], happy to share notes."
    code, _, err = run(capsys, FIXTURES / "posts.csv", "-o", tmp_path / "x.jsonl", "--model", model_dir)
    assert code == 1 and "posts.csv:1: missing column(s): text, id" in err


def test_plain_text_on_stdin(capsys, tmp_path, model_dir, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"First post, mail a@example.com.\n\nSecond post. Two sentences!\n")))
    out = tmp_path / "tags.jsonl"
    code, stdout, stderr = run(capsys, "-", "-o", out, "--model", model_dir)
    assert code == 0, stderr
    records = read_jsonl(out)
    assert [(r["id"], r["text"]) for r in records] == [(1, "First post, mail [EMAIL]."), (3, "Second post. Two sentences!")]
    assert "Tagged 2 posts" in stdout


def test_the_script_reads_stdin(tmp_path, model_dir):
    out = tmp_path / "tags.jsonl"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "tag_posts.py"), "-", "--output", str(out),
                           "--model", str(model_dir), "--mode", "int8"],
                          input="I took sertraline and slept better.\n", capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "FORUM_ANECDOTES_KEY": KEY}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert read_jsonl(out)[0]["id"] == 1 and "Posts per label" in done.stdout


def test_a_bad_line_stops_with_file_and_line(capsys, tmp_path, model_dir):
    out = tmp_path / "tags.jsonl"
    code, _, err = run(capsys, FIXTURES / "bad.jsonl", "-o", out, "--model", model_dir)
    assert code == 1
    assert f"error: {FIXTURES / 'bad.jsonl'}:3: malformed JSON" in err and "--skip-bad" in err
    assert not out.exists() and not list(tmp_path.iterdir())  # atomic: no output, no temporary file left


def test_skip_bad_writes_the_rejects_file_and_counts(capsys, tmp_path, model_dir):
    out = tmp_path / "tags.jsonl"
    code, stdout, _ = run(capsys, FIXTURES / "bad.jsonl", "-o", out, "--model", model_dir, "--skip-bad")
    assert code == 0
    assert [r["id"] for r in read_jsonl(out)] == ["b1", "b5"]
    rejects = read_jsonl(tmp_path / "tags.jsonl.rejects.jsonl")
    assert [(r["line"], r["reason"].split(":")[0]) for r in rejects] == [(3, "malformed JSON"), (4, "missing text")]
    assert all(r["file"] == str(FIXTURES / "bad.jsonl") for r in rejects)
    assert "rejected 2 bad line(s)" in stdout and "tags.jsonl.rejects.jsonl" in stdout


def test_parquet_output(capsys, tmp_path, model_dir):
    import pyarrow.parquet as pq

    source = tmp_path / "posts.jsonl"  # the fixture's ids as strings: a Parquet column has one type
    source.write_text("".join(json.dumps({**p, "id": str(p["id"])}) + "\n" for p in read_jsonl(FIXTURES / "posts.jsonl")),
                      encoding="utf-8")
    jsonl, parquet = tmp_path / "tags.jsonl", tmp_path / "tags.parquet"
    assert run(capsys, source, "-o", jsonl, "--model", model_dir)[0] == 0
    assert run(capsys, source, "-o", parquet, "--model", model_dir)[0] == 0  # by suffix
    assert run(capsys, source, "-o", tmp_path / "tags.out", "--model", model_dir, "--format", "parquet")[0] == 0
    for path in (parquet, tmp_path / "tags.out"):
        table = pq.read_table(path)
        assert table.column_names[-4:] == ["scores", "labels", "evidence", "model"]
        for row, expected in zip(table.to_pylist(), read_jsonl(jsonl)):
            assert row["labels"] == expected["labels"] and row["scores"] == pytest.approx(expected["scores"])
            assert {k: v for k, v in row["evidence"].items() if v is not None} == expected["evidence"]
            assert row["id"] == expected["id"] and row["forum"] == expected["forum"]


def test_parquet_refuses_fields_that_change_type(capsys, tmp_path, model_dir, monkeypatch):
    monkeypatch.setattr(tag_module, "CHUNK_POSTS", 2)  # row groups of 2: the third post meets a fixed schema
    source = tmp_path / "posts.jsonl"
    source.write_text("\n".join(json.dumps(p) for p in [
        {"id": "a", "text": "One.", "n": 1}, {"id": "b", "text": "Two.", "n": 2}, {"id": "c", "text": "Three.", "n": "x"},
    ]) + "\n", encoding="utf-8")
    code, _, err = run(capsys, source, "-o", tmp_path / "tags.parquet", "--model", model_dir)
    assert code == 1 and "Parquet output: a field's type differs" in err and "--format jsonl" in err
    assert not (tmp_path / "tags.parquet").exists()
    # the same within the first row group (the fixture's ids are a string and a number)
    code, _, err = run(capsys, FIXTURES / "posts.jsonl", "-o", tmp_path / "tags.parquet", "--model", model_dir)
    assert code == 1 and "Parquet output" in err


def test_modes(capsys, tmp_path, model_dir, monkeypatch):
    out = tmp_path / "tags.jsonl"
    assert run(capsys, FIXTURES / "posts.jsonl", "-o", out, "--model", model_dir, "--mode", "int8")[0] == 0
    assert len(read_jsonl(out)) == 5
    monkeypatch.setattr(tag_module, "cpu_has_native_bf16", lambda: False)
    code, _, err = run(capsys, FIXTURES / "posts.jsonl", "-o", tmp_path / "b.jsonl", "--model", model_dir, "--mode", "bf16")
    assert code == 2 and "no native bfloat16" in err and len(err.strip().splitlines()) == 1


def test_usage_errors_are_one_line(capsys, tmp_path, model_dir, monkeypatch):
    code, _, err = run(capsys, tmp_path / "missing.jsonl", "-o", tmp_path / "o.jsonl", "--model", model_dir)
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, FIXTURES / "posts.jsonl", "-o", tmp_path / "o.jsonl", "--model", tmp_path)
    assert code == 2 and "no tagger.json" in err
    monkeypatch.setattr("forum_anecdotes.cli.tag.MODELS_DIR", tmp_path)
    code, _, err = run(capsys, FIXTURES / "posts.jsonl", "-o", tmp_path / "o.jsonl")
    assert code == 2 and "--model: give the model folder" in err


def test_without_a_key_a_random_one_is_used_and_said(capsys, tmp_path, model_dir, monkeypatch):
    monkeypatch.delenv("FORUM_ANECDOTES_KEY")
    monkeypatch.setattr("forum_anecdotes.keys.KEY_FILE", tmp_path / "none.key")
    code, _, err = run(capsys, FIXTURES / "posts.jsonl", "-o", tmp_path / "o.jsonl", "--model", model_dir)
    assert code == 0 and "random key for this run" in err
    assert read_jsonl(tmp_path / "o.jsonl")[1]["author"].startswith("user_")


def test_benchmark_command(capsys, tmp_path, model_dir):
    report_file = tmp_path / "bench.json"
    code, stdout, stderr = run(capsys, "--model", model_dir, "--input", FIXTURES / "posts.jsonl", "--posts", 4,
                               "--batch-size", 4, "--pipeline-batch-sizes", "4", "--repeats", 2, "--json", report_file,
                               command="tag-benchmark")
    assert code == 0, stderr
    report = json.loads(report_file.read_text(encoding="utf-8"))
    settings = [(r["setting"], r["batch_size"]) for r in report["rows"]]
    assert settings[:6] == [("pipeline (default)", 1), ("pipeline", 4), ("tagger fp32", 4), ("tagger onnx-fp32", 4),
                            ("tagger int8", 4), ("tagger onnx-int8", 4)]
    assert settings[-1] == ("tagger fp32 + evidence", 4)
    assert report["posts"] == 4 and report["windows"] > 4 and report["windows_over_max_tokens"] == 0
    assert report["fp32_vs_pipeline"]["identical"] is True  # the same windows, the same labels
    assert 0 <= report["int8_vs_fp32"]["changed_share"] <= 1 and 0 <= report["onnx-int8_vs_fp32"]["changed_share"] <= 1
    assert report["onnx-fp32_vs_fp32"]["identical"] is True  # the same arithmetic in another runtime
    assert all(r["posts_per_s"] > 0 and r["tokens_per_s"] > 0 for r in report["rows"])
    # each setting timed twice; the row gives the median of the runs
    assert all(len(r["seconds_each"]) == 2 and r["seconds"] == pytest.approx(sum(r["seconds_each"]) / 2)
               for r in report["rows"])
    tagger_fp32 = report["rows"][2]
    assert tagger_fp32["padding_share"] <= report["rows"][1]["padding_share"]  # sorted batches pad less
    assert "Tagging throughput" in stdout and "fp32 labels identical" in stdout and "onnx-int8 vs fp32" in stdout


def test_a_benchmark_written_into_the_model_folder_renders_its_card_again(capsys, tmp_path, model_dir):
    import shutil

    model = shutil.copytree(model_dir, tmp_path / "model")
    code, stdout, stderr = run(capsys, "--model", model, "--input", FIXTURES / "posts.jsonl", "--posts", 2,
                               "--batch-size", 2, "--pipeline-batch-sizes", "2", "--json", model / "benchmark.json",
                               command="tag-benchmark")
    assert code == 0, stderr
    card = (model / "README.md").read_text(encoding="utf-8")
    assert "## Speed" in card and "| tagger onnx-int8 | 2 |" in card and "Not measured yet" not in card
    assert "each figure the median of 3 runs" in card  # the default
