"""The forum-anecdotes command: help with examples, and one clear line for every mistake before any work."""
import pytest

from forum_anecdotes.cli import main

from raw_fixtures import write_raw_dir

GOOD_KEY = "forum-anecdotes-test-key-0123456789"


@pytest.fixture(autouse=True)
def no_gold_labels(tmp_path, monkeypatch):
    # the repository's gold labels name posts of the maintainers' key, not of the test key
    from forum_anecdotes import paths

    monkeypatch.setattr(paths, "GOLD_LABELS", tmp_path / "no-gold.jsonl")


@pytest.fixture()
def no_key(tmp_path, monkeypatch):
    monkeypatch.delenv("FORUM_ANECDOTES_KEY", raising=False)
    monkeypatch.setattr("forum_anecdotes.keys.KEY_FILE", tmp_path / "none.key")


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_shows_examples(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "forum-anecdotes build" in out
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    assert "example:" in capsys.readouterr().out


def test_a_missing_key_is_one_line(capsys, tmp_path, no_key):
    code, _, err = run(capsys, "build", "--raw-dir", str(tmp_path), "--out-dir", str(tmp_path / "c"), "--no-progress")
    assert code == 2
    assert err.startswith("error: no pseudonymisation key") and "make_key.py" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_short_key_is_one_line_that_does_not_show_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_ANECDOTES_KEY", "tooshort")
    code, _, err = run(capsys, "build", "--raw-dir", str(tmp_path), "--no-progress")
    assert code == 2 and "at least 16" in err and "tooshort" not in err


def _manifest(tmp_path, body: str):
    path = tmp_path / "more.yaml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("body, expected", [
    ("sources: [\n  {name: a", r"more.yaml:\d+: not valid YAML"),
    ("sources: []\n", "more.yaml: expected a non-empty list under `sources:`"),
    ("sources:\n  - {name: x, importer: nope, path: p, publish: full_text}\n",
     r"more.yaml: sources\[0\].importer: unknown importer 'nope'; known: .*pushshift"),
    ("sources:\n  - {name: x, importer: jsonl, path: p, publish: fulltext}\n",
     r"more.yaml: sources\[0\].publish: 'fulltext' is not one of full_text, ids_and_labels, nothing"),
    ("sources:\n  - {name: x, importer: jsonl, path: p}\n", r"sources\[0\].publish: missing"),
    ("sources:\n  - {name: x, importer: jsonl, path: p, publish: nothing, licence_url: u}\n",
     r"sources\[0\].licence_url: unknown field"),
    ("sources:\n  - {name: Bad-Name, importer: jsonl, path: p, publish: nothing}\n", r"sources\[0\].name: 'Bad-Name'"),
    ("sources:\n  - {name: x, importer: jsonl, path: p, publish: nothing, negative_rate: 2}\n",
     r"sources\[0\].negative_rate: expected a number from 0 to 1"),
    ("sources:\n  - {name: x, importer: jsonl, path: p, publish: nothing, options: [1]}\n", r"sources\[0\].options: expected a mapping"),
    ("sources:\n  - {name: rmhd, importer: jsonl, path: p, publish: nothing}\n", r"sources\[0\].name: 'rmhd' is already a source name"),
])
def test_bad_manifests_are_one_line_naming_file_and_field(capsys, tmp_path, monkeypatch, body, expected):
    monkeypatch.setenv("FORUM_ANECDOTES_KEY", GOOD_KEY)
    manifest = _manifest(tmp_path, body)
    code, _, err = run(capsys, "build", "--raw-dir", str(tmp_path), "--manifest", str(manifest), "--no-progress")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(manifest) in err
    import re
    assert re.search(expected, err), err


def test_unknown_sources_and_missing_raw_files_stop_before_importing(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_ANECDOTES_KEY", GOOD_KEY)
    code, _, err = run(capsys, "build", "--raw-dir", str(tmp_path), "--sources", "rmhd,nope")
    assert code == 2 and "unknown source(s) nope" in err
    code, _, err = run(capsys, "build", "--raw-dir", str(tmp_path), "--sources", "rmhd", "--no-progress")
    assert code == 2 and "raw source(s) missing" in err and "rmhd" in err


def test_bad_input_without_skip_bad_exits_1_with_the_location(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_ANECDOTES_KEY", GOOD_KEY)
    raw = write_raw_dir(tmp_path / "raw")
    code, _, err = run(capsys, "build", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "c"), "--data-card",
                       str(tmp_path / "card.md"), "--work-dir", str(tmp_path / "w"), "--sources", "opiates", "--no-progress")
    assert code == 1
    assert "r_opiates_partial.csv:" in err and "--skip-bad" in err and "Traceback" not in err


def test_key_creates_once(capsys, tmp_path):
    path = tmp_path / "k" / "pseudonym.key"
    assert run(capsys, "key", "--path", str(path))[0] == 0 and path.exists()
    before = path.read_text()
    code, out, _ = run(capsys, "key", "--path", str(path))
    assert code == 0 and "keeping it" in out and path.read_text() == before


def test_gold_labels_of_another_key_stop_the_build_before_importing(capsys, tmp_path, monkeypatch):
    import json

    from forum_anecdotes import paths

    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"post_id": "rmhd-0123456789abcdef", "key_id": "000000000000", "selection": "random",
                                "labels": []}) + "\n")
    monkeypatch.setattr(paths, "GOLD_LABELS", gold)
    monkeypatch.setenv("FORUM_ANECDOTES_KEY", GOOD_KEY)
    code, _, err = run(capsys, "build", "--raw-dir", str(tmp_path), "--no-progress")
    assert code == 2 and "another key" in err and "gold.jsonl:1" in err


def test_a_batch_can_be_drawn_from_the_train_split_only(capsys, tmp_path, monkeypatch):
    import json

    from forum_anecdotes.annotation import gold

    written = gold.write_batch_index
    monkeypatch.setattr(gold, "write_batch_index", lambda tasks, name: written(tasks, name, index_dir=tmp_path / "index"))
    code, out, err = run(capsys, "annotate", "batch", "--name", "trainonly", "--size", "40", "--sources", "rmhd",
                         "--splits", "train", "--annotator", "a", "--include-annotated", "--out-dir", str(tmp_path / "batches"))
    assert code == 0, err
    drawn = {json.loads(line)["post_id"] for line in (tmp_path / "index" / "trainonly.jsonl").read_text().splitlines()}
    from forum_anecdotes.annotation.gold import corpus_frame

    splits = corpus_frame().set_index("post_id").loc[sorted(drawn), "split"]
    assert len(drawn) == 40 and set(splits) == {"train"}
    code, out, err = run(capsys, "annotate", "batch", "--name", "bad", "--size", "5", "--splits", "training",
                         "--annotator", "a", "--out-dir", str(tmp_path / "batches"))
    assert code == 2 and "--splits" in err and len(err.strip().splitlines()) == 1
