"""What the analysis reads: input files, dates, records from JSONL, CSV and an importer, prepared rows."""
import csv
import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from forum_anecdotes.analysis.inputs import (
    PREPARED_FIELDS,
    InputOptions,
    chunked,
    default_group,
    input_files,
    iter_input,
    month_of,
    prepared_rows,
)
from forum_anecdotes.corpus.process import PostPipeline
from forum_anecdotes.io import BadInput, Rejects

KEY = b"forum-anecdotes-test-key-0123456789"


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def write_csv(path: Path, header, rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_all(file, options=InputOptions(), rejects=None):
    return list(iter_input(Path(file), options=options, rejects=rejects or Rejects()))


# --------------------------------------------------------------------------- input_files


def test_input_files_of_a_file_a_folder_and_an_importer(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub" / "deeper").mkdir(parents=True)
    wanted = [folder / "a.jsonl", folder / "b.ndjson.zst", folder / "c.JSON", folder / "sub" / "d.csv.gz",
              folder / "sub" / "deeper" / "e.txt"]
    ignored = [folder / "notes.md", folder / "f.jsonl.bak", folder / "a.rejects.jsonl",
               folder / "sub" / "old.rejects.jsonl.gz", folder / "g.parquet"]
    for path in wanted + ignored:
        path.write_bytes(b"")
    assert input_files(folder) == sorted(wanted)  # recursive, name order, compressed copies, no rejects files
    assert input_files(folder / "sub" / "d.csv.gz") == [folder / "sub" / "d.csv.gz"]
    # a file given by name is read whatever it is called; an importer gets the path whole
    assert input_files(str(folder / "notes.md")) == [folder / "notes.md"]
    assert input_files(folder, importer="opiates_submissions") == [folder]


def test_input_files_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.jsonl: no such file or folder"):
        input_files(tmp_path / "nowhere.jsonl")
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "x.rejects.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="empty: no file ending in .jsonl"):
        input_files(tmp_path / "empty")


def test_default_group_is_the_name_without_suffixes():
    assert default_group(Path("x/submissions.csv.gz")) == "submissions"
    assert default_group(Path("forum_a.jsonl")) == "forum_a"


# --------------------------------------------------------------------------- month_of


@pytest.mark.parametrize("value, month", [
    ("2015-03-02", "2015-03"),
    ("2015/03/02", "2015-03"),
    ("2015-03-31T23:30:00Z", "2015-03"),
    ("2015-03-31T23:30:00-02:00", "2015-04"),  # months are UTC months
    (1425254400, "2015-03"),  # 2015-03-02T00:00:00Z
    (1425254399.5, "2015-03"),
    ("1425254400", "2015-03"),
    (" 1425254400 ", "2015-03"),
    ("2015-03", "2015-03"),  # a month as the corpus publishes dates
    ("2015-13", None),
    (dt.datetime(2015, 3, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-2))), "2015-04"),
    (dt.datetime(2015, 3, 31, 23, 30), "2015-03"),
    (None, None),
    ("", None),
    ("yesterday", None),
    ("2015-13-40", None),
    (True, None),
    (False, None),
    (10 ** 20, None),  # out of range
    ([2015, 3], None),
])
def test_month_of(value, month):
    assert month_of(value) == month


# --------------------------------------------------------------------------- iter_input


def test_iter_input_jsonl_fields_origins_and_groups(tmp_path):
    file = write_jsonl(tmp_path / "forum.jsonl", [
        {"id": "x1", "text": "one", "title": "T", "author": "someone", "created": "2020-01-05", "forum": "alpha"},
        {"id": 2, "text": "two", "created": 1600000000, "forum": ""},
        {"id": "x3", "text": "three", "extra": {"kept": False}},
    ])
    items = read_all(file, InputOptions(group_column="forum"))
    assert [origin.line for origin, _ in items] == [1, 2, 3] and all(o.file == str(file) for o, _ in items)
    records = [record for _, record in items]
    assert records[0] == {"id": "x1", "title": "T", "text": "one", "author": "someone", "created": "2020-01-05",
                          "group": "alpha"}
    # an empty or missing group field: the file's group
    assert [r["group"] for r in records] == ["alpha", "forum", "forum"]
    assert records[1]["created"] == 1600000000 and records[2]["created"] is None
    # without a group column every post is in the file's group, or the one given
    assert {r["group"] for _, r in read_all(file)} == {"forum"}
    assert {r["group"] for _, r in read_all(file, InputOptions(group="mine"))} == {"mine"}
    # no time column: no dates
    assert {r["created"] for _, r in read_all(file, InputOptions(time_column=None))} == {None}


def test_iter_input_csv_with_other_columns(tmp_path):
    file = write_csv(tmp_path / "posts.csv", ["post", "body", "when", "site"], [
        ["p1", "first, with a comma", "1425254400", "boards"],
        ["p2", "second", "2016-07-01T00:00:00Z", ""],
    ])
    options = InputOptions(text_column="body", id_column="post", time_column="when", group_column="site")
    items = read_all(file, options)
    records = [r for _, r in items]
    assert [o.line for o, _ in items] == [2, 3]  # the header is line 1
    assert [(r["id"], r["text"], r["created"], r["group"]) for r in records] == [
        ("p1", "first, with a comma", "1425254400", "boards"), ("p2", "second", "2016-07-01T00:00:00Z", "posts")]
    assert records[0]["title"] is None and records[0]["author"] is None


SUBMISSIONS_HEADER = ["submission_id", "url", "num_comments", "shortlink", "author", "title", "selftext", "created_utc"]


def test_importer_counts_repeats_as_skipped_and_dates_from_created_utc(tmp_path):
    file = write_csv(tmp_path / "submissions.csv", SUBMISSIONS_HEADER, [
        ["abc123", "https://x/abc123", "3", "https://redd.it/abc123", "poppy_fan", "Day 3 off heroin",
         "Cravings at night.", "1425254400"],  # 2015-03-02
        ["def456", "https://x/def456", "0", "https://redd.it/def456", "", "Methadone question",
         "[removed]", "1467331200"],  # 2016-07-01
        ["b'abc123'", "https://x/abc123", "3", "https://redd.it/abc123", "b'poppy_fan'", "b'Day 3 off heroin'",
         "b'Cravings at night.'", "1425254400"],  # the bytes-exported twin of the first row
        ["ghi789", "https://x/ghi789", "1", "https://redd.it/ghi789", "someone", "Kratom", "It helps.",
         "1514764799"],  # 2017-12-31T23:59:59Z
    ])
    rejects = Rejects()
    options = InputOptions(importer="opiates_submissions")
    [path] = input_files(file, importer=options.importer)
    records = [r for _, r in iter_input(path, options=options, rejects=rejects)]
    assert [r["id"] for r in records] == ["abc123", "def456", "ghi789"]
    assert [month_of(r["created"]) for r in records] == ["2015-03", "2016-07", "2017-12"]
    assert records[0]["title"] == "Day 3 off heroin" and records[0]["text"] == "Cravings at night."
    assert records[1]["text"] == ""  # a removed selftext keeps the title only
    assert all(r["group"] for r in records)
    assert sum(rejects.skipped.values()) == 1
    assert [reason for (_, reason) in rejects.skipped] == ["repeated submission"] and rejects.total == 0
    # the rows go through the pipeline like any other post
    rows = list(prepared_rows(iter_input(path, options=options, rejects=Rejects()),
                              pipeline=PostPipeline(key=KEY), rejects=Rejects()))
    assert [r["month"] for r in rows] == ["2015-03", "2016-07", "2017-12"]
    assert rows[0]["drugs"] == ["heroin"] and "Day 3 off heroin" in rows[0]["text"]
    assert rows[1]["drugs"] == ["methadone"]


# --------------------------------------------------------------------------- prepared_rows


def prepare(file, *, rejects, options=InputOptions()):
    return list(prepared_rows(iter_input(Path(file), options=options, rejects=rejects),
                              pipeline=PostPipeline(key=KEY), rejects=rejects))


def test_prepared_rows_are_anonymised_with_substances(tmp_path):
    file = write_jsonl(tmp_path / "posts.jsonl", [
        {"id": 7, "title": "Kratom and sertraline",
         "text": "I mixed heroin and xanax. Mail moss.lantern@example.org or ask u/somebody about it.",
         "author": "real_name_here", "created": "2019-05-04T10:00:00Z"},
        {"id": "n2", "text": "Nothing to see here, just a walk in the park.", "created": "garbage"},
    ])
    rows = prepare(file, rejects=Rejects())
    assert [tuple(r) for r in rows] == [PREPARED_FIELDS] * 2
    first, second = rows
    assert first["id"] == "7" and first["month"] == "2019-05" and first["group"] == "posts"
    for gone in ("moss.lantern", "example.org", "u/somebody", "somebody", "real_name_here"):
        assert gone not in first["text"]
    assert "[EMAIL]" in first["text"] and "Kratom and sertraline" in first["text"]  # the title is read too
    assert first["drugs"] == ["alprazolam", "heroin", "kratom", "sertraline"]
    assert first["drug_classes"] == ["benzodiazepine", "kratom", "opioid", "ssri"]
    assert second["drugs"] == [] and second["drug_classes"] == [] and second["month"] is None


def test_a_bad_post_is_raised_with_file_and_line_or_recorded(tmp_path):
    file = write_jsonl(tmp_path / "posts.jsonl", [
        {"id": "ok1", "text": "Fine post about kratom."},
        {"id": "bad", "title": "no text field"},
        {"id": "bot", "text": "Your post was removed. I am a bot, and this action was performed automatically."},
        {"id": "ok2", "text": "Another fine post."},
    ])
    with pytest.raises(BadInput) as caught:
        prepare(file, rejects=Rejects())
    assert caught.value.file == str(file) and caught.value.line == 2
    assert f"{file}:2" in str(caught.value) and "missing text" in str(caught.value)
    rejects = Rejects(skip_bad=True)
    rows = prepare(file, rejects=rejects)
    assert [r["id"] for r in rows] == ["ok1", "ok2"]
    assert [(r["file"], r["line"]) for r in rejects.records] == [(str(file), 2)]
    assert list(rejects.skipped.items()) == [(("tag", "site furniture (bot_message)"), 1)]


def test_malformed_lines_of_compressed_input_are_recorded(tmp_path):
    file = tmp_path / "posts.jsonl.gz"
    file.write_bytes(gzip.compress(b'{"id": "a", "text": "one"}\n{"id": "b", "text": \n{"id": "c", "text": "three"}\n'))
    rejects = Rejects(skip_bad=True)
    assert [r["id"] for r in prepare(file, rejects=rejects)] == ["a", "c"]
    assert [r["line"] for r in rejects.records] == [2] and rejects.records[0]["reason"].startswith("malformed JSON")


def test_chunked():
    assert [len(c) for c in chunked(iter(range(7)), 3)] == [3, 3, 1]
    assert list(chunked(iter([]), 3)) == []
