"""Import and export between our task/answer records and doccano, Label Studio, Prodigy and Argilla.

The committed fixtures in ``tests/fixtures/interop/`` are written as each tool's documentation says
its export looks (see each module's docstring); the round trips write our tasks, simulate the tool's
annotation by building its documented export from what we wrote, and read the answers back.
"""
import collections
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from forum_anecdotes.annotation.interop import (
    TOOLS,
    InteropError,
    argilla,
    doccano,
    labelstudio,
    prodigy,
)
from forum_anecdotes.annotation.records import GUIDE_VERSION, answer_problems
from forum_anecdotes.labels import LABEL_NAMES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "interop"
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

#: The labels the simulated annotator gives each fixture task in the round trips.
CHOSEN = {"b1-0001": ["ssri_withdrawal", "first_hand"], "b1-0002": ["effect_beneficial", "effect_adverse"], "b1-0003": []}


def load_tasks():
    return [json.loads(line) for line in (FIXTURES / "tasks.jsonl").read_text(encoding="utf-8").splitlines()]


def vector(names):
    return {name: int(name in names) for name in LABEL_NAMES}


def check(answers):
    """Every answer passes the contract; returns (task_id, annotator, labels set to 1, unclear) tuples."""
    for a in answers:
        assert answer_problems(a) == [], a
        assert TIME.match(a["time"])
        assert a["guide_version"] == GUIDE_VERSION
    assert len({a["answer_id"] for a in answers}) == len(answers)
    return [(a["task_id"], a["annotator"], [n for n in LABEL_NAMES if a["labels"][n]], a["unclear"]) for a in answers]


def write_json(path, value):
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# label configurations come from labels.LABEL_NAMES


def test_label_studio_config_lists_exactly_the_labels_in_order_as_multiple_choice():
    root = ET.fromstring(labelstudio.labeling_config())
    assert root.tag == "View"
    choices = [c for c in root.iter("Choices") if c.get("name") == "labels"]
    assert len(choices) == 1
    assert choices[0].get("choice") == "multiple" and choices[0].get("toName") == "text"
    assert [c.get("value") for c in choices[0].iter("Choice")] == list(LABEL_NAMES)
    texts = {t.get("name"): t.get("value") for t in root.iter("Text")}
    assert texts["text"] == "$text"
    # every $key the config reads is a key of the exported task data
    exported = io.StringIO()
    labelstudio.export_tasks(load_tasks(), exported)
    data_keys = set(json.loads(exported.getvalue())[0]["data"])
    assert {v[1:] for v in texts.values()} <= data_keys


def test_doccano_prodigy_and_argilla_configs_list_exactly_the_labels_in_order():
    assert [label["text"] for label in json.loads(doccano.labeling_config())] == list(LABEL_NAMES)
    assert [o["id"] for o in prodigy.options()] == list(LABEL_NAMES)
    assert json.loads(prodigy.labeling_config())["choice_style"] == "multiple"
    out = io.StringIO()
    prodigy.export_tasks(load_tasks(), out)
    for line in out.getvalue().splitlines():
        task = json.loads(line)
        assert [o["id"] for o in task["options"]] == list(LABEL_NAMES)
        assert task["config"] == {"choice_style": "multiple"}
    questions = {q["name"]: q for q in json.loads(argilla.labeling_config())["questions"]}
    assert list(questions["labels"]["labels"]) == list(LABEL_NAMES)


# ---------------------------------------------------------------------------------------------
# export


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_export_to_a_path_equals_export_to_a_stream_and_writes_each_task_once(name, tmp_path):
    tasks = load_tasks()
    stream = io.StringIO()
    assert TOOLS[name].export_tasks(tasks + tasks[:1], stream) == 3
    path = tmp_path / "out"
    assert TOOLS[name].export_tasks(iter(tasks), path) == 3
    assert path.read_text(encoding="utf-8") == stream.getvalue()
    assert not [p for p in tmp_path.iterdir() if p.name != "out"]  # no temporary file left


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_export_rejects_a_task_without_ids_or_two_tasks_under_one_id(name):
    task = load_tasks()[0]
    with pytest.raises(ValueError, match="missing or empty post_id"):
        TOOLS[name].export_tasks([{**task, "post_id": ""}], io.StringIO())
    with pytest.raises(ValueError, match="given twice"):
        TOOLS[name].export_tasks([task, {**task, "post_id": "other"}], io.StringIO())


def test_exports_keep_the_ids_in_each_tools_metadata_field():
    tasks = load_tasks()
    out = {}
    for name, module in TOOLS.items():
        out[name] = io.StringIO()
        module.export_tasks(tasks, out[name])
    ids = [{k: t[k] for k in ("task_id", "post_id", "batch")} for t in tasks]
    doccano_rows = [json.loads(line) for line in out["doccano"].getvalue().splitlines()]
    assert [{k: r[k] for k in ids[0]} for r in doccano_rows] == ids
    assert all(r["label"] == [] for r in doccano_rows)
    assert [{k: t["data"][k] for k in ids[0]} for t in json.loads(out["labelstudio"].getvalue())] == ids
    assert [json.loads(line)["meta"] for line in out["prodigy"].getvalue().splitlines()] == ids
    argilla_rows = [json.loads(line) for line in out["argilla"].getvalue().splitlines()]
    assert [{k: r[k] for k in ids[0]} for r in argilla_rows] == ids
    assert [r["id"] for r in argilla_rows] == [t["task_id"] for t in tasks]


def test_exports_show_the_thread_context():
    tasks = load_tasks()
    ls = io.StringIO()
    labelstudio.export_tasks(tasks, ls)
    data = [t["data"] for t in json.loads(ls.getvalue())]
    assert data[0]["title"] == "Week three of my taper" and data[0]["parent_text"] == "" and data[0]["opening_text"] == ""
    assert data[1]["parent_text"].startswith("Week three of my taper\n\nDropped")
    pg = io.StringIO()
    prodigy.export_tasks(tasks, pg)
    card = json.loads(pg.getvalue().splitlines()[1])["html"]
    assert "Post it replies to" in card and "&quot;tired all day&quot;" in card  # escaped, never raw HTML


def test_predictions_become_label_studio_predictions_prodigy_selections_and_argilla_suggestions():
    tasks = load_tasks()
    predictions = {"b1-0001": vector(["ssri_withdrawal"])}
    ls = io.StringIO()
    labelstudio.export_tasks(tasks, ls, predictions=predictions, model_version="m1")
    items = json.loads(ls.getvalue())
    assert items[0]["predictions"] == [{"model_version": "m1", "result": [
        {"from_name": "labels", "to_name": "text", "type": "choices", "value": {"choices": ["ssri_withdrawal"]}}]}]
    assert "predictions" not in items[1]
    pg = io.StringIO()
    prodigy.export_tasks(tasks, pg, predictions=predictions)
    assert json.loads(pg.getvalue().splitlines()[0])["accept"] == ["ssri_withdrawal"]
    ag = io.StringIO()
    argilla.export_tasks(tasks, ag, predictions=predictions)
    assert json.loads(ag.getvalue().splitlines()[0])["labels.suggestion"] == ["ssri_withdrawal"]
    with pytest.raises(ValueError, match="unknown label"):
        labelstudio.export_tasks(tasks, io.StringIO(), predictions={"b1-0001": {"nope": 1}})


# ---------------------------------------------------------------------------------------------
# round trips: our tasks -> tool import file -> (the tool's documented export) -> our answers


def test_doccano_round_trip_through_the_export_zip(tmp_path):
    exported = tmp_path / "doccano_import.jsonl"
    doccano.export_tasks(load_tasks(), exported)
    # doccano's export: {"id", "text", <metadata>..., "label": [...]} per example, one file per user in a zip
    lines = []
    for n, line in enumerate(exported.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        meta = {k: v for k, v in row.items() if k not in ("text", "label")}
        lines.append({"id": n, "text": row["text"], **meta, "label": CHOSEN[row["task_id"]]})
    archive = tmp_path / "doccano_export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("ann-7.jsonl", "".join(json.dumps(r) + "\n" for r in lines))
    answers = doccano.import_answers(archive)
    assert check(answers) == [(t, "ann-7", CHOSEN[t], False) for t in CHOSEN]
    assert [a["post_id"] for a in answers] == ["demo-0001", "demo-0002", "demo-0003"]
    assert {a["batch"] for a in answers} == {"b1"}


def test_label_studio_round_trip_through_json_and_json_min(tmp_path):
    exported = tmp_path / "ls_import.json"
    labelstudio.export_tasks(load_tasks(), exported)
    items = json.loads(exported.read_text(encoding="utf-8"))
    full, minimal = [], []
    for n, item in enumerate(items, 1):
        names = CHOSEN[item["data"]["task_id"]]
        result = [{"value": {"choices": names}, "id": f"r{n}", "from_name": "labels", "to_name": "text", "type": "choices"}] if names else []
        stamp = f"2026-12-0{n}T08:30:00.123456Z"
        full.append({"id": 200 + n, "data": item["data"], "predictions": [], "annotations": [
            {"id": 900 + n, "completed_by": 3, "result": result, "was_cancelled": False, "ground_truth": False,
             "created_at": stamp, "updated_at": stamp, "lead_time": 5.0, "task": 200 + n}]})
        value = {} if not names else {"labels": names[0] if len(names) == 1 else {"choices": names}}
        minimal.append({**item["data"], "id": 200 + n, **value, "annotator": 3, "annotation_id": 900 + n,
                        "created_at": stamp, "updated_at": stamp, "lead_time": 5.0})
    from_json = labelstudio.import_answers(write_json(tmp_path / "export.json", full), annotator_names={"3": "ann-3"})
    from_min = labelstudio.import_answers(write_json(tmp_path / "export_min.json", minimal), annotator_names={"3": "ann-3"})
    expected = [(t, "ann-3", CHOSEN[t], False) for t in CHOSEN]
    assert check(from_json) == expected
    assert check(from_min) == expected
    assert [a["time"] for a in from_json] == ["2026-12-01T08:30:00Z", "2026-12-02T08:30:00Z", "2026-12-03T08:30:00Z"]
    # the same annotation gives the same answer, whichever export it came through
    assert from_json == from_min


def test_prodigy_round_trip_through_db_out(tmp_path):
    exported = tmp_path / "prodigy_tasks.jsonl"
    prodigy.export_tasks(load_tasks(), exported)
    lines = []
    for n, line in enumerate(exported.read_text(encoding="utf-8").splitlines()):
        task = json.loads(line)
        lines.append({**task, "_input_hash": n, "_task_hash": -n, "_view_id": "choice",
                      "accept": CHOSEN[task["meta"]["task_id"]], "answer": "accept", "_timestamp": 1796000000 + n,
                      "_annotator_id": "forum_b1-ann-4", "_session_id": "forum_b1-ann-4"})
    answers = prodigy.import_answers(write_jsonl(tmp_path / "db_out.jsonl", lines))
    assert check(answers) == [(t, "forum_b1-ann-4", CHOSEN[t], False) for t in CHOSEN]
    assert answers[0]["time"] == "2026-11-30T00:53:20Z"


def test_argilla_round_trip_through_flat_records(tmp_path):
    exported = tmp_path / "argilla_records.jsonl"
    argilla.export_tasks(load_tasks(), exported)
    user = "5d0a9c7e-1111-4222-8333-944455566677"
    records = []
    for line in exported.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        names = CHOSEN[row["task_id"]]
        flat = {**row, "status": "completed", "_server_id": f"srv-{row['id']}"}
        if names:  # Argilla keeps no response for a question answered with nothing selected
            flat.update({"labels.responses": [names], "labels.responses.users": [user], "labels.responses.status": ["submitted"]})
        flat.update({"unclear.responses": ["clear"], "unclear.responses.users": [user], "unclear.responses.status": ["submitted"]})
        records.append(flat)
    answers = argilla.import_answers(write_json(tmp_path / "to_list.json", records), annotator_names={user: "ann-5"})
    assert check(answers) == [(t, "ann-5", CHOSEN[t], False) for t in CHOSEN]


# ---------------------------------------------------------------------------------------------
# the committed fixtures, in each tool's documented export format


def test_doccano_fixture_zip_and_single_file(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for member in sorted((FIXTURES / "doccano").iterdir()):
            z.write(member, member.name)
    answers = doccano.import_answers(archive, guide_version="0.9")
    assert check([{**a, "guide_version": GUIDE_VERSION} for a in answers]) == [
        ("b1-0001", "ann-1", ["ssri_withdrawal", "first_hand"], False),
        ("b1-0002", "ann-1", ["effect_beneficial", "effect_adverse"], False),
        ("b1-0003", "ann-1", [], False),
        ("b1-0001", "ann-2", ["effect_adverse", "ssri_withdrawal", "first_hand"], False),
    ]
    assert {a["guide_version"] for a in answers} == {"0.9"}
    single = doccano.import_answers(FIXTURES / "doccano" / "ann-2.jsonl", annotator="ann-2")
    assert check(single) == [("b1-0001", "ann-2", ["effect_adverse", "ssri_withdrawal", "first_hand"], False)]
    with pytest.raises(ValueError, match=r"ann-2\.jsonl:1: .*pass annotator="):
        doccano.import_answers(FIXTURES / "doccano" / "ann-2.jsonl")


def test_label_studio_json_fixture():
    skipped = collections.Counter()
    answers = labelstudio.import_answers(FIXTURES / "labelstudio_export.json", skipped=skipped)
    assert check(answers) == [
        ("b1-0001", "1", ["ssri_withdrawal", "first_hand"], False),
        ("b1-0001", "2", ["effect_adverse"], True),
        ("b1-0002", "1", [], False),
    ]
    assert [a["time"] for a in answers] == ["2026-11-29T10:02:11Z", "2026-11-29T11:20:03Z", "2026-11-29T10:05:00Z"]
    assert answers[1]["note"] == "Taper or side effect? The post does not say."
    assert [a["post_id"] for a in answers] == ["demo-0001", "demo-0001", "demo-0002"]
    assert skipped == {"cancelled": 1, "not annotated": 1}


def test_label_studio_json_min_fixture_gives_the_same_answers_as_the_json_export():
    skipped = collections.Counter()
    minimal = labelstudio.import_answers(FIXTURES / "labelstudio_export_min.json", skipped=skipped)
    full = labelstudio.import_answers(FIXTURES / "labelstudio_export.json")
    assert sorted(minimal, key=lambda a: a["answer_id"]) == sorted(full, key=lambda a: a["answer_id"])
    assert skipped == {"not annotated": 1}


def test_label_studio_user_object_gives_the_email_and_json_min_lists_are_read(tmp_path):
    tasks = json.loads((FIXTURES / "labelstudio_export.json").read_text(encoding="utf-8"))[:1]
    tasks[0]["annotations"][0]["completed_by"] = {"id": 1, "email": "ann-1@example.org", "first_name": "", "last_name": ""}
    answers = labelstudio.import_answers(write_json(tmp_path / "x.json", tasks))
    assert answers[0]["annotator"] == "ann-1@example.org"
    # JSON-MIN written by older converters: a list of choices
    row = json.loads((FIXTURES / "labelstudio_export_min.json").read_text(encoding="utf-8"))[1]
    row["labels"] = ["ssri_withdrawal", "first_hand"]
    assert check(labelstudio.import_answers(write_json(tmp_path / "y.json", [row])))[0][2] == ["ssri_withdrawal", "first_hand"]


def test_prodigy_fixture_accept_reject_and_ignore():
    skipped = collections.Counter()
    names = {"forum_b1-ann-1": "ann-1", "forum_b1-ann-2": "ann-2"}
    answers = prodigy.import_answers(FIXTURES / "prodigy_db_out.jsonl", annotator_names=names, skipped=skipped)
    assert check(answers) == [
        ("b1-0001", "ann-1", ["ssri_withdrawal", "first_hand"], False),
        ("b1-0002", "ann-1", [], False),
        ("b1-0003", "ann-1", [], True),  # reject: the post cannot be judged under the guide
        ("b1-0002", "ann-2", ["effect_beneficial", "effect_adverse"], False),
    ]
    assert [a["time"] for a in answers] == ["2026-11-29T10:02:11Z", "2026-11-29T10:03:08Z", "2026-11-29T10:04:00Z",
                                            "2026-11-29T11:00:55Z"]
    assert skipped == {"ignore": 1}


def test_argilla_fixture_submitted_discarded_and_draft():
    skipped = collections.Counter()
    answers = argilla.import_answers(FIXTURES / "argilla_records.json", skipped=skipped)
    u1, u2 = "0f5c8a5e-3b7d-4c1e-9a43-2d6f1b8e7c01", "7a2e9d14-5c6b-4f08-b1d3-9e4c2a7f6b02"
    assert check(answers) == [
        ("b1-0001", u1, ["ssri_withdrawal", "first_hand"], False),
        ("b1-0001", u2, ["effect_adverse", "ssri_withdrawal", "first_hand"], False),
        ("b1-0002", u1, [], False),
        ("b1-0003", u1, [], True),
    ]
    assert answers[3]["note"] == "Not about a substance at all."
    assert skipped == {"discarded": 1, "draft": 1}


def test_argilla_reads_json_lines_too(tmp_path):
    records = json.loads((FIXTURES / "argilla_records.json").read_text(encoding="utf-8"))
    assert argilla.import_answers(write_jsonl(tmp_path / "r.jsonl", records)) == \
        argilla.import_answers(FIXTURES / "argilla_records.json")


# ---------------------------------------------------------------------------------------------
# agents, ids, times


@pytest.mark.parametrize("name,fixture,kwargs", [
    ("doccano", "doccano/ann-1.jsonl", {"annotator": "ann-1"}),
    ("labelstudio", "labelstudio_export.json", {}),
    ("prodigy", "prodigy_db_out.jsonl", {}),
    ("argilla", "argilla_records.json", {}),
])
def test_language_model_answers_and_stable_ids(name, fixture, kwargs):
    module = TOOLS[name]
    answers = module.import_answers(FIXTURES / fixture, agent="language_model", agent_model="demo-model-1", **kwargs)
    assert answers and all(a["agent"] == "language_model" and a["agent_model"] == "demo-model-1" for a in answers)
    check(answers)
    people = module.import_answers(FIXTURES / fixture, **kwargs)
    assert all(a["agent"] == "person" and a["agent_model"] is None for a in people)
    # importing the same export again gives the same answer ids
    assert [a["answer_id"] for a in module.import_answers(FIXTURES / fixture, **kwargs)] == [a["answer_id"] for a in people]
    with pytest.raises(ValueError, match="agent_model must name the language model"):
        module.import_answers(FIXTURES / fixture, agent="language_model", **kwargs)
    with pytest.raises(ValueError, match="not one of"):
        module.import_answers(FIXTURES / fixture, agent="robot", **kwargs)


def test_tool_times_are_read_in_utc(tmp_path):
    tasks = json.loads((FIXTURES / "labelstudio_export.json").read_text(encoding="utf-8"))[:1]
    tasks[0]["annotations"] = tasks[0]["annotations"][:1]
    tasks[0]["annotations"][0]["updated_at"] = "2026-11-29T12:00:00.5+02:00"
    assert labelstudio.import_answers(write_json(tmp_path / "x.json", tasks))[0]["time"] == "2026-11-29T10:00:00Z"


# ---------------------------------------------------------------------------------------------
# bad input names the file and line


def test_bad_json_line_names_file_and_line(tmp_path):
    lines = (FIXTURES / "prodigy_db_out.jsonl").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:-1]
    path = tmp_path / "db_out.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"db_out\.jsonl:2: not valid JSON"):
        prodigy.import_answers(path)


def test_unknown_label_names_file_and_line(tmp_path):
    lines = (FIXTURES / "prodigy_db_out.jsonl").read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[2])
    row.update(answer="accept", accept=["side_effect"])
    lines[2] = json.dumps(row)
    path = tmp_path / "db_out.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InteropError, match=r"db_out\.jsonl:3: unknown label\(s\) side_effect") as e:
        prodigy.import_answers(path)
    assert isinstance(e.value, ValueError) and e.value.line == 3


def test_label_studio_bad_item_names_the_line_it_starts_on(tmp_path):
    tasks = json.loads((FIXTURES / "labelstudio_export.json").read_text(encoding="utf-8"))
    del tasks[1]["data"]["task_id"]
    text = json.dumps(tasks, indent=2)
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    second_item_line = text.splitlines().index("  {", 2) + 1
    with pytest.raises(ValueError, match=rf"export\.json:{second_item_line}: missing or empty task_id"):
        labelstudio.import_answers(path)


def test_label_studio_broken_json_names_the_line(tmp_path):
    path = tmp_path / "export.json"
    first = {"id": 1, "annotations": [], "data": {"task_id": "b1-0001", "post_id": "demo-0001", "batch": "b1"}}
    path.write_text(f'[\n  {json.dumps(first)},\n  {{"id": 2,, }}\n]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"export\.json:3: not valid JSON"):
        labelstudio.import_answers(path)


def test_doccano_zip_member_errors_name_archive_member_and_line(tmp_path):
    archive = tmp_path / "export.zip"
    good = (FIXTURES / "doccano" / "ann-1.jsonl").read_text(encoding="utf-8")
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("ann-1.jsonl", good)
        z.writestr("ann-9.jsonl", good.splitlines()[0] + "\n" + '{"id": 5, "text": "x", "label": []}\n')
    with pytest.raises(ValueError, match=r"export\.zip!ann-9\.jsonl:2: missing or empty task_id"):
        doccano.import_answers(archive)


def test_doccano_sequence_labeling_export_is_refused(tmp_path):
    row = json.loads((FIXTURES / "doccano" / "ann-1.jsonl").read_text(encoding="utf-8").splitlines()[0])
    row["label"] = [[0, 7, "first_hand"]]
    with pytest.raises(ValueError, match=r"x\.jsonl:1: .*sequence labeling"):
        doccano.import_answers(write_jsonl(tmp_path / "x.jsonl", [row]), annotator="a")


def test_argilla_nested_records_and_responses_without_status_are_refused(tmp_path):
    records = json.loads((FIXTURES / "argilla_records.json").read_text(encoding="utf-8"))
    nested = [{"id": "b1-0001", "fields": {"text": "x"}, "metadata": {}, "responses": {}}]
    with pytest.raises(ValueError, match=r"n\.json:2: nested record"):
        argilla.import_answers(write_json(tmp_path / "n.json", nested))
    records[0]["labels.responses.status"] = None
    with pytest.raises(ValueError, match=r"s\.jsonl:1: .*one status per response"):
        argilla.import_answers(write_jsonl(tmp_path / "s.jsonl", records))


def test_prodigy_unknown_answer_is_refused(tmp_path):
    row = json.loads((FIXTURES / "prodigy_db_out.jsonl").read_text(encoding="utf-8").splitlines()[0])
    row["answer"] = "maybe"
    with pytest.raises(ValueError, match=r"p\.jsonl:1: \"answer\" is 'maybe'"):
        prodigy.import_answers(write_jsonl(tmp_path / "p.jsonl", [row]))
