"""``forum-anecdotes analyse`` end to end with the local engine: the report, no post text in it, ``--tags-only``,
usage errors (exit 2, one line) and bad lines (exit 1, naming file and line)."""
import contextlib
import io
import json
import shutil
import types

import pandas as pd
import pytest

from forum_anecdotes.cli import main

KEY = "forum-anecdotes-test-key-0123456789"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAST = ["--n-draws", "200", "--min-posts", "5", "--no-progress"]


@pytest.fixture(autouse=True)
def test_key(monkeypatch):
    monkeypatch.setenv("FORUM_ANECDOTES_KEY", KEY)


def run(capsys, *argv):
    code = main(["analyse", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, model_dir, posts_folder):
    """One run of the command on the synthetic folder, recording the bad line, and one ``--tags-only`` re-run."""
    root = tmp_path_factory.mktemp("analyse")
    with pytest.MonkeyPatch.context() as patch:  # a module fixture has no capsys: the output is redirected
        patch.setenv("FORUM_ANECDOTES_KEY", KEY)
        runs = {}
        for name, argv in (
                ("tagged", [posts_folder.dir, "--out", root / "report", "--tags-dir", root / "tags", "--skip-bad",
                            "--model", model_dir, *FAST]),
                ("reread", ["--tags-only", "--out", root / "again", "--tags-dir", root / "tags", "--model",
                            model_dir, *FAST])):
            stdout, stderr = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = main(["analyse", *map(str, argv)])
            runs[name] = types.SimpleNamespace(code=code, out=stdout.getvalue(), err=stderr.getvalue())
    return types.SimpleNamespace(root=root, out=root / "report", again=root / "again", tags=root / "tags", **runs)


def test_the_report_is_written(analysed, posts_folder):
    assert analysed.tagged.code == 0, analysed.tagged.err
    out = analysed.out
    names = {p.name for p in out.iterdir()}
    assert {"report.md", "prevalence.csv", "cooccurrence_substances.csv", "cooccurrence_classes.csv",
            "error_rates.csv", "run.json", "prevalence_by_year.png", "prevalence_by_class.png",
            "cooccurrence.png"} <= names
    assert "gold_comparison.csv" not in names  # no corpus source: no gold
    for png in out.glob("*.png"):
        assert png.read_bytes().startswith(PNG_MAGIC)
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["posts"] == len(posts_folder.posts) and meta["rejected"] == 1 and meta["engine"] == "local"
    assert meta["undated"] == sum(p["month"] is None for p in posts_folder.posts.values())
    assert {k: meta["model"][k] for k in ("name", "version")} == {"name": "tiny-test", "version": "0.0.1"}
    assert meta["command"].startswith("forum-anecdotes analyse ") and "--skip-bad" in meta["command"]
    table = pd.read_csv(out / "prevalence.csv")
    overall = table[table["dimension"] == "overall"]
    assert len(overall) == 5 and set(overall["posts"]) == {len(posts_folder.posts)}
    assert {"overall", "year", "month", "group", "drug_class"} == set(table["dimension"])
    assert set(table.loc[table["dimension"] == "group", "value"]) == {"forum_a", "forum_b"}
    assert "tiny-test" in (out / "report.md").read_text(encoding="utf-8")
    # the bad line is in the rejects file beside the tags, and the summary says so
    [reject] = [json.loads(line) for line in
                (analysed.root / "tags.rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (reject["file"], reject["line"]) == (str(posts_folder.bad_file), posts_folder.bad_line)
    assert f"Prevalence in {len(posts_folder.posts)} posts" in analysed.tagged.out
    assert "Rejected 1 bad line" in analysed.tagged.out


def test_no_post_text_reaches_the_report_or_the_tags(analysed, posts_folder):
    written = [p for folder in (analysed.out, analysed.again, analysed.tags) for p in folder.rglob("*") if p.is_file()]
    written.append(analysed.root / "tags.rejects.jsonl")
    assert len(written) > 10
    planted = posts_folder.planted.encode()
    assert sum(posts_folder.planted in p["text"] for p in posts_folder.posts.values()) >= 5  # it is in the input
    sentences = {s.strip() for p in posts_folder.posts.values() for s in p["text"].split(".") if len(s.strip()) > 25}
    for path in written:
        data = path.read_bytes()
        assert planted not in data, path
        assert b"moss.lantern" not in data and b"example.org" not in data, path
        if path.suffix in (".md", ".csv", ".json", ".jsonl"):
            text = data.decode("utf-8")
            assert not any(sentence in text for sentence in sentences), path


def test_tags_only_rereads_the_tags_and_gives_the_same_table(analysed):
    assert analysed.reread.code == 0, analysed.reread.err
    pd.testing.assert_frame_equal(pd.read_csv(analysed.again / "prevalence.csv"),
                                  pd.read_csv(analysed.out / "prevalence.csv"))
    meta = json.loads((analysed.again / "run.json").read_text(encoding="utf-8"))
    first = json.loads((analysed.out / "run.json").read_text(encoding="utf-8"))
    assert meta["posts"] == first["posts"]
    # the re-rendered report names the run that made the tags, and the command that re-rendered it
    assert (meta["engine"], meta["command"], meta["seconds"]) == (first["engine"], first["command"], first["seconds"])
    assert "--tags-only" in meta["report_command"]
    report = (analysed.again / "report.md").read_text(encoding="utf-8")
    assert first["command"] in report and "Report re-rendered from the stored tags" in report


def test_usage_errors_exit_2_with_one_line(capsys, tmp_path, model_dir, posts_folder):
    no_report = tmp_path / "no_report"
    no_report.mkdir()
    shutil.copy(model_dir / "tagger.json", no_report / "tagger.json")
    out = ["--out", tmp_path / "out", "--tags-dir", tmp_path / "tags"]
    cases = [
        ([tmp_path / "nowhere.jsonl", "--model", model_dir, *out], "nowhere.jsonl: no such file or folder"),
        (["--model", model_dir, *out], "give INPUT, or --tags-only"),
        ([posts_folder.dir, "--importer", "bogus", "--model", model_dir, *out], "--importer bogus: unknown"),
        ([posts_folder.dir, "--model", no_report, *out], "no report.json"),
        ([posts_folder.dir, "--model", tmp_path / "nomodel", *out], "no tagger.json"),
        ([posts_folder.dir, "--corpus-source", "bogus", "--model", model_dir, *out], "--corpus-source bogus: not a corpus source"),
        (["--tags-only", "--model", model_dir, *out], "no tag folder to report on"),
        ([posts_folder.dir, "--n-draws", "0", "--model", model_dir, *out], "must be at least 1"),
    ]
    for argv, message in cases:
        code, stdout, stderr = run(capsys, *argv)
        assert code == 2, (argv, stderr)
        assert stderr.startswith("error: ") and message in stderr, (message, stderr)
        assert stderr.count("\n") == 1, stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "tags").exists()


def test_a_bad_line_without_skip_bad_exits_1_naming_file_and_line(capsys, tmp_path, model_dir, posts_folder):
    code, stdout, stderr = run(capsys, posts_folder.bad_file, "--model", model_dir, "--out", tmp_path / "out",
                               "--tags-dir", tmp_path / "tags", *FAST)
    assert code == 1
    # (transformers' "Loading weights" bar may come before the message)
    error, hint = stderr.splitlines()[-2:]
    assert error.startswith(f"error: {posts_folder.bad_file}:{posts_folder.bad_line}: malformed JSON")
    assert "--skip-bad" in hint
    assert list(tmp_path.iterdir()) == []  # no report, no tags, no rejects file


def test_the_tagging_file_names_the_model_and_tags_only_refuses_another(analysed, capsys, tmp_path, model_dir):
    from forum_anecdotes.models.onnx_runtime import model_digest

    tagging = json.loads((analysed.tags.parent / "tags.run.json").read_text(encoding="utf-8"))
    assert tagging["model"]["digest"] == model_digest(model_dir)
    assert f"(weights {model_digest(model_dir)})" in (analysed.out / "report.md").read_text(encoding="utf-8")
    retrained = tmp_path / "retrained"
    shutil.copytree(model_dir, retrained)
    config = json.loads((retrained / "config.json").read_text(encoding="utf-8"))
    (retrained / "config.json").write_text(json.dumps({**config, "note": "retrained"}), encoding="utf-8")
    code, _, stderr = run(capsys, "--tags-only", "--tags-dir", analysed.tags, "--model", retrained,
                          "--out", tmp_path / "out", *FAST)
    assert code == 2 and "was tagged by" in stderr and "pass --model with the model that tagged them" in stderr
    assert stderr.count("\n") == 1 and not (tmp_path / "out").exists()
