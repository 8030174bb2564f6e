"""The labeling server's API, through urllib against a server on a free local port."""
import json
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from forum_anecdotes.annotation.records import GUIDE_VERSION
from forum_anecdotes.annotation.server import main, make_server
from forum_anecdotes.io import BadInput
from forum_anecdotes.labels import LABEL_NAMES

# The suite blocks the network; these tests talk to their own server on this machine only.
pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


def task(i: int, annotator: str) -> dict:
    return {"task_id": f"b1-{annotator}-{i}", "batch": "b1", "post_id": f"post-{i}", "source": "rmhd", "selection": "random",
            "title": None, "text": f"post {i} <b>text</b>", "parent": None, "opening": None,
            "labels": list(LABEL_NAMES), "guide_version": GUIDE_VERSION}


def write_batch(folder, tasks_per_annotator: dict[str, int]):
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in tasks_per_annotator.items():
        lines = [json.dumps(task(i, name)) for i in range(1, n + 1)]
        (folder / f"tasks-{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def server(tmp_path):
    batch = write_batch(tmp_path / "batch", {"ann-1": 4, "ann-2": 3})
    srv = make_server(batch_dir=batch, answers_dir=tmp_path / "answers")
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def call(srv, method: str, path: str, body=None, *, raw: bytes | None = None, content_type="application/json"):
    """(status, headers, parsed JSON or raw bytes) of one request."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(srv.url.rstrip("/") + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, headers, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        status, headers, payload = e.code, e.headers, e.read()
    if headers.get_content_type() == "application/json":
        payload = json.loads(payload)
    return status, headers, payload


def labels(**set_to_1) -> dict:
    return dict.fromkeys(LABEL_NAMES, 0) | set_to_1


def answer(srv, annotator: str, task_id: str, **extra):
    return call(srv, "POST", "/api/answer", {"annotator": annotator, "task_id": task_id, "labels": labels(first_hand=1),
                                             "unclear": False, "note": "", **extra})


def test_binds_loopback_on_a_free_port(server):
    host, port = server.server_address[:2]
    assert host == "127.0.0.1" and port > 0
    assert server.url == f"http://127.0.0.1:{port}/"


def test_page_is_served_with_csp_and_nosniff(server):
    status, headers, page = call(server, "GET", "/")
    assert status == 200 and headers.get_content_type() == "text/html"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b'<script src="/page.js"' in page and b"<script>" not in page
    for path, kind in (("/page.js", "text/javascript"), ("/page.css", "text/css")):
        status, headers, body = call(server, "GET", path)
        assert status == 200 and headers.get_content_type() == kind and body
        assert headers["X-Content-Type-Options"] == "nosniff"
    _, _, script = call(server, "GET", "/page.js")
    # data is only ever shown as text: nothing in the page's script parses HTML
    assert not re.search(rb"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", script)


def test_annotators_are_listed(server):
    assert call(server, "GET", "/api/annotators")[2] == {"annotators": ["ann-1", "ann-2"]}


def test_tasks_come_with_labels_and_resume_at_the_first_unanswered(server):
    status, _, data = call(server, "GET", "/api/tasks?annotator=ann-1")
    assert status == 200
    assert [t["task_id"] for t in data["tasks"]] == [f"b1-ann-1-{i}" for i in range(1, 5)]
    assert data["answers"] == {} and data["resume"] == 0
    assert [lb["name"] for lb in data["labels"]] == list(LABEL_NAMES)
    assert all(lb["title"] and lb["positive"] and lb["negative"] for lb in data["labels"])
    answer(server, "ann-1", "b1-ann-1-1")
    answer(server, "ann-1", "b1-ann-1-2")
    data = call(server, "GET", "/api/tasks?annotator=ann-1")[2]
    assert data["resume"] == 2 and set(data["answers"]) == {"post-1", "post-2"}
    # revising an earlier answer does not move the resume point back
    answer(server, "ann-1", "b1-ann-1-1", note="second thoughts")
    data = call(server, "GET", "/api/tasks?annotator=ann-1")[2]
    assert data["resume"] == 2 and data["answers"]["post-1"]["note"] == "second thoughts"


def test_answer_is_completed_by_the_server_and_stored(server, tmp_path):
    status, _, data = answer(server, "ann-1", "b1-ann-1-3", note="a note", unclear=True)
    assert status == 200
    record = data["answer"]
    assert record["annotator"] == "ann-1" and record["post_id"] == "post-3" and record["batch"] == "b1"
    assert record["agent"] == "person" and record["agent_model"] is None and record["guide_version"] == GUIDE_VERSION
    assert record["time"].endswith("Z") and record["answer_id"] and record["unclear"] is True and record["note"] == "a note"
    lines = (tmp_path / "answers" / "ann-1.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [record]


def test_each_annotator_sees_only_their_own_answers(server, tmp_path):
    answer(server, "ann-1", "b1-ann-1-1")  # post-1 exists in both annotators' tasks
    data = call(server, "GET", "/api/tasks?annotator=ann-2")[2]
    assert data["answers"] == {} and data["resume"] == 0
    assert all(t["task_id"].startswith("b1-ann-2-") for t in data["tasks"])
    # ann-2 cannot answer ann-1's task, nor undo ann-1's answer
    assert answer(server, "ann-2", "b1-ann-1-2")[0] == 404
    assert call(server, "POST", "/api/undo", {"annotator": "ann-2"})[0] == 409
    assert not (tmp_path / "answers" / "ann-2.jsonl").exists()
    assert call(server, "GET", "/api/tasks?annotator=ann-1")[2]["resume"] == 1


def test_undo_withdraws_the_latest_answer_and_returns_what_stands(server):
    first = answer(server, "ann-1", "b1-ann-1-1")[2]["answer"]
    second = answer(server, "ann-1", "b1-ann-1-2")[2]["answer"]
    revised = answer(server, "ann-1", "b1-ann-1-1", note="revised")[2]["answer"]
    status, _, data = call(server, "POST", "/api/undo", {"annotator": "ann-1"})
    assert status == 200 and data == {"withdrawn": revised, "current": first}
    assert call(server, "POST", "/api/undo", {"annotator": "ann-1"})[2] == {"withdrawn": second, "current": None}
    tasks = call(server, "GET", "/api/tasks?annotator=ann-1")[2]
    assert tasks["resume"] == 1 and tasks["answers"] == {"post-1": first}


def test_names_are_matched_ignoring_case_and_spaces(server):
    status, _, data = call(server, "GET", "/api/tasks?annotator=%20ANN-2%20")
    assert status == 200 and data["annotator"] == "ann-2"


@pytest.mark.parametrize("method,path,body,status,message", [
    ("GET", "/api/tasks?annotator=nobody", None, 404, "no tasks for annotator 'nobody'; the annotators are ann-1, ann-2"),
    ("GET", "/api/tasks", None, 400, "give your annotator name"),
    ("POST", "/api/answer", {"annotator": "ann-1", "task_id": "nope", "labels": {}}, 404, "has no task 'nope'"),
    ("POST", "/api/answer", {"annotator": "zz", "task_id": "b1-ann-1-1", "labels": {}}, 404, "no tasks for annotator"),
    ("POST", "/api/answer", {"annotator": "ann-1", "task_id": "b1-ann-1-1", "labels": {"first_hand": 1}}, 400, "asks effect_beneficial"),
    ("POST", "/api/answer", {"annotator": "ann-1", "task_id": "b1-ann-1-1", "labels": {**dict.fromkeys(LABEL_NAMES, 0), "x": 1}},
     400, "unknown label(s) x"),
    ("POST", "/api/answer", {"annotator": "ann-1", "task_id": "b1-ann-1-1", "labels": dict.fromkeys(LABEL_NAMES, True)},
     400, "not 0 or 1"),
    ("POST", "/api/answer", {"annotator": "ann-1", "task_id": "b1-ann-1-1", "labels": "all"}, 400, "labels must be an object"),
    ("POST", "/api/answer", {"annotator": "ann-1", "task_id": "b1-ann-1-1", "labels": dict.fromkeys(LABEL_NAMES, 0),
                             "unclear": "yes"}, 400, "unclear must be true or false"),
    ("POST", "/api/answer", {"annotator": "ann-1", "task_id": "b1-ann-1-1", "labels": dict.fromkeys(LABEL_NAMES, 0),
                             "agent": "language_model"}, 400, "unknown field(s) agent"),
    ("POST", "/api/undo", {"annotator": "ann-1"}, 409, "nothing to undo"),
    ("POST", "/api/undo", [], 400, "must be a JSON object"),
    ("GET", "/api/answer", None, 405, "GET is not allowed"),
    ("POST", "/api/tasks", {}, 405, "POST is not allowed"),
    ("GET", "/../../etc/passwd", None, 404, "no such page"),
    ("GET", "/api/tasks?annotator=../ann-1", None, 404, "no tasks for annotator"),
])
def test_bad_requests_get_4xx_with_a_json_message(server, tmp_path, method, path, body, status, message):
    got_status, headers, data = call(server, method, path, body)
    assert got_status == status
    assert headers.get_content_type() == "application/json"
    assert message in data["error"] and "Traceback" not in data["error"]
    assert headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"
    assert not (tmp_path / "answers").exists()  # nothing written


def test_bodies_must_be_json(server):
    status, _, data = call(server, "POST", "/api/answer", raw=b"{not json", content_type="application/json")
    assert status == 400 and "not valid JSON" in data["error"]
    status, _, data = call(server, "POST", "/api/undo", raw=b'{"annotator": "ann-1"}', content_type="text/plain")
    assert status == 415 and "application/json" in data["error"]


def test_requests_for_another_host_name_are_refused(server):
    # DNS rebinding: a page on evil.example that resolves to 127.0.0.1 must not read the tasks
    request = urllib.request.Request(server.url + "api/annotators", headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(request, timeout=10)
    assert e.value.code == 421


def test_bad_batch_folders_are_refused_at_start(tmp_path):
    with pytest.raises(BadInput, match="no task files"):
        make_server(batch_dir=tmp_path, answers_dir=tmp_path / "a")
    with pytest.raises(BadInput, match="no such batch folder"):
        make_server(batch_dir=tmp_path / "missing", answers_dir=tmp_path / "a")
    (tmp_path / "tasks-ann-1.jsonl").write_text('{"task_id": "t1", "post_id": "p", "batch": "b1", "text": "x"}\n'
                                                '{"task_id": "t1", "post_id": "q", "batch": "b1", "text": "y"}\n')
    with pytest.raises(BadInput, match=r"tasks-ann-1.jsonl:2: task id 't1' repeats"):
        make_server(batch_dir=tmp_path, answers_dir=tmp_path / "a")
    (tmp_path / "tasks-ann-1.jsonl").write_text('{"task_id": "t1", "batch": "b1", "text": "x"}\n')
    with pytest.raises(BadInput, match=r"tasks-ann-1.jsonl:1: task without post_id"):
        make_server(batch_dir=tmp_path, answers_dir=tmp_path / "a")


def test_command_line_prints_the_url_and_stops_cleanly_on_ctrl_c(tmp_path):
    batch = write_batch(tmp_path / "batch", {"ann-1": 1})
    proc = subprocess.Popen([sys.executable, "-m", "forum_anecdotes.annotation.server", "--batch-dir", str(batch),
                             "--answers-dir", str(tmp_path / "answers"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # as from a terminal: a test run started in the background (`make test &`)
                            # ignores SIGINT, and a child would inherit that and never see the Ctrl-C
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first_line = proc.stdout.readline()
        assert first_line.startswith("Labeling page: http://127.0.0.1:") and "ann-1" in first_line
        url = first_line.split()[2]
        with urllib.request.urlopen(url + "api/annotators", timeout=10) as response:
            assert json.load(response) == {"annotators": ["ann-1"]}
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Stopped." in out and "Traceback" not in err


def test_command_line_reports_a_bad_batch_folder(tmp_path, capsys):
    assert main(["--batch-dir", str(tmp_path / "missing"), "--answers-dir", str(tmp_path / "a"), "--port", "0"]) == 2
    assert "no such batch folder" in capsys.readouterr().err
