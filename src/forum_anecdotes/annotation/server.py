"""The labeling page's server: one static page and a small JSON API, on the standard library only.

Run it with ``python -m forum_anecdotes.annotation.server --batch-dir B --answers-dir A``. It binds
127.0.0.1 unless told otherwise. The batch folder holds one task file per annotator,
``tasks-<annotator>.jsonl`` (task lines as in :mod:`forum_anecdotes.annotation.records`); each
annotator's answers go to ``<answers-dir>/<annotator>.jsonl`` through an
:class:`~forum_anecdotes.annotation.store.AnswerStore`. Nothing is kept only in memory: the page
asks for the tasks and the annotator's current answers at start, so a reload or a server restart
resumes at the first unanswered task.

API (JSON in and out; errors are 4xx with ``{"error": "..."}``, never a traceback):

* ``GET /api/annotators`` -> ``{"annotators": [names]}``
* ``GET /api/tasks?annotator=NAME`` -> ``{"annotator", "guide_version", "labels", "tasks",
  "answers": {post_id: answer}, "resume": index}``; only that annotator's own answers.
* ``POST /api/answer`` ``{annotator, task_id, labels, unclear, note}`` -> ``{"answer": record}``
* ``POST /api/undo`` ``{annotator}`` -> ``{"withdrawn": answer, "current": answer | null}``
"""
from __future__ import annotations

import argparse
import http.server
import importlib.resources
import json
import re
import sys
import traceback
import urllib.parse
from pathlib import Path
from typing import Any

from forum_anecdotes.annotation.records import (
    GUIDE_VERSION,
    Answer,
    asked_labels,
    utc_now,
)
from forum_anecdotes.annotation.store import AnswerStore, current
from forum_anecdotes.io import BadInput, Rejects, iter_json_lines
from forum_anecdotes.labels import LABEL_NAMES, LABELS
from forum_anecdotes.schema import Agent

#: An annotator's name: it becomes part of file names, so nothing that could leave the folder.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TASK_FILE_PATTERN = re.compile(r"^tasks-(.+)\.jsonl$")

#: Request bodies larger than this are refused: an answer is a few hundred bytes.
MAX_BODY_BYTES = 256 * 1024

#: Static files of the page, served from the package's resources.
STATIC = {"/": ("page.html", "text/html; charset=utf-8"), "/page.js": ("page.js", "text/javascript; charset=utf-8"),
          "/page.css": ("page.css", "text/css; charset=utf-8")}

#: Only the page's own script and style may run or load: post text shown by mistake as HTML could
#: not run a script, and nothing may be fetched from or sent to anywhere else.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class ApiError(Exception):
    """A request the API refuses: its HTTP status and a message for the annotator."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Batch:
    """The tasks of every annotator in a batch folder, and their answer stores.

    Args:
        batch_dir: holds ``tasks-<annotator>.jsonl`` files.
        answers_dir: where ``<annotator>.jsonl`` answer files are written.
        guide_version: the guide version answers are made under.

    Raises:
        BadInput: for a missing or empty batch folder, a task file with a bad annotator name, or a
            bad task line (file and line named).
    """

    def __init__(self, batch_dir: Path, answers_dir: Path, guide_version: str):
        self.answers_dir = Path(answers_dir)
        self.guide_version = guide_version
        self.tasks: dict[str, list[dict[str, Any]]] = {}
        batch_dir = Path(batch_dir)
        if not batch_dir.is_dir():
            raise BadInput(batch_dir, None, "no such batch folder")
        for path in sorted(batch_dir.glob("tasks-*.jsonl")):
            name = TASK_FILE_PATTERN.match(path.name).group(1)
            if not NAME_PATTERN.match(name):
                raise BadInput(path, None, f"annotator name {name!r} must be letters, digits, '.', '_' or '-' (at most 64)")
            self.tasks[name] = _read_tasks(path)
        if not self.tasks:
            raise BadInput(batch_dir, None, "no task files (tasks-<annotator>.jsonl) in the batch folder")
        self._stores = {name: AnswerStore(self.answers_dir / f"{name}.jsonl") for name in self.tasks}

    def annotator(self, name: Any) -> str:
        """The annotator called ``name`` (spaces around it and letter case ignored).

        Raises:
            ApiError: 404 for a name without a task file.
        """
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "give your annotator name")
        wanted = name.strip()
        if wanted in self.tasks:
            return wanted
        matches = [n for n in self.tasks if n.lower() == wanted.lower()]
        if len(matches) == 1:
            return matches[0]
        raise ApiError(404, f"no tasks for annotator {wanted!r}; the annotators are {', '.join(self.tasks)}")

    def store(self, annotator: str) -> AnswerStore:
        return self._stores[annotator]

    def tasks_for(self, annotator: str) -> dict[str, Any]:
        """The ``/api/tasks`` answer: tasks, the annotator's current answers to them, where to resume."""
        tasks = self.tasks[annotator]
        standing = current(self.store(annotator).read())
        posts = {t["post_id"] for t in tasks}
        answers = {post: a for post, a in standing.items() if post in posts}
        resume = next((i for i, t in enumerate(tasks) if t["post_id"] not in answers), len(tasks))
        labels = [{"name": lb.name, "title": lb.title, "positive": lb.positive, "negative": lb.negative} for lb in LABELS]
        return {"annotator": annotator, "guide_version": self.guide_version, "labels": labels, "tasks": tasks,
                "answers": answers, "resume": resume}

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """Store one answer from the page; the server fills ids, batch, agent, guide version and time."""
        _only_fields(body, {"annotator", "task_id", "labels", "unclear", "note"})
        annotator = self.annotator(body.get("annotator"))
        task = next((t for t in self.tasks[annotator] if t["task_id"] == body.get("task_id")), None)
        if task is None:
            raise ApiError(404, f"annotator {annotator!r} has no task {body.get('task_id')!r}")
        labels = body.get("labels")
        # unknown labels are reported by the record's own check below
        if isinstance(labels, dict) and set(labels) <= set(LABEL_NAMES) and set(labels) != set(asked_labels(task)):
            raise ApiError(400, f"answer not saved: task {task['task_id']} asks {', '.join(asked_labels(task))}")
        try:
            record = Answer(task_id=task["task_id"], post_id=task["post_id"], batch=task["batch"], annotator=annotator,
                            agent=Agent.PERSON.value, guide_version=self.guide_version, time=utc_now(),
                            labels=body.get("labels"), unclear=body.get("unclear", False), note=body.get("note", "")).to_dict()
            return {"answer": self.store(annotator).append(record)}
        except (ValueError, TypeError) as e:
            raise ApiError(400, f"answer not saved: {e}") from None

    def undo(self, body: dict[str, Any]) -> dict[str, Any]:
        """Withdraw the annotator's most recent standing answer."""
        _only_fields(body, {"annotator"})
        annotator = self.annotator(body.get("annotator"))
        result = self.store(annotator).undo_last(annotator)
        if result is None:
            raise ApiError(409, "nothing to undo: you have no saved answer")
        withdrawn, now = result
        return {"withdrawn": withdrawn, "current": now}


def _read_tasks(path: Path) -> list[dict[str, Any]]:
    """The task lines of one file, checked enough for the page to show them."""
    tasks, seen = [], set()
    for line_no, task in iter_json_lines(path, rejects=Rejects()):  # the default Rejects raises at the first problem
        for field in ("task_id", "post_id", "batch", "text"):
            if not isinstance(task.get(field), str) or (field != "text" and not task[field]):
                raise BadInput(path, line_no, f"task without {field}")
        for context in ("parent", "opening"):
            if task.get(context) is not None and not isinstance(task[context], dict):
                raise BadInput(path, line_no, f"task {context} must be an object or null")
        if task["task_id"] in seen:
            raise BadInput(path, line_no, f"task id {task['task_id']!r} repeats an earlier line")
        seen.add(task["task_id"])
        tasks.append(task)
    return tasks


def _only_fields(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, f"unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(allowed))}")


class LabelingServer(http.server.ThreadingHTTPServer):
    """The HTTP server; :attr:`batch` holds the tasks and stores, :attr:`url` is where the page is."""

    daemon_threads = True  # Ctrl-C must not wait for a browser's open connection

    def __init__(self, address: tuple[str, int], batch: Batch):
        self.batch = batch
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def allowed_hosts(self) -> set[str] | None:
        """Host headers accepted: the bound address (plus localhost for loopback), None for any.

        Checking the Host header stops DNS rebinding: a web page elsewhere that points its own
        name at 127.0.0.1 could otherwise read the tasks from the annotator's browser.
        """
        host, port = self.server_address[:2]
        if host in ("0.0.0.0", "::", ""):
            return None
        hosts = {f"{host}:{port}"}
        if host.startswith("127.") or host == "::1":
            hosts |= {f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"}
        return hosts


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves the page's static files and the JSON API."""

    server: LabelingServer
    server_version = "forum-anecdotes-labeling"
    sys_version = ""  # do not advertise the Python version

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        try:
            self._check_host()
            url = urllib.parse.urlsplit(self.path)
            if method == "GET" and url.path in STATIC:
                name, content_type = STATIC[url.path]
                data = importlib.resources.files(__package__).joinpath("resources", name).read_bytes()
                return self._send(200, data, content_type)
            batch = self.server.batch
            if method == "GET" and url.path == "/api/annotators":
                return self._send_json(200, {"annotators": list(batch.tasks)})
            if method == "GET" and url.path == "/api/tasks":
                query = urllib.parse.parse_qs(url.query)
                return self._send_json(200, batch.tasks_for(batch.annotator((query.get("annotator") or [""])[0])))
            if method == "POST" and url.path == "/api/answer":
                return self._send_json(200, batch.answer(self._json_body()))
            if method == "POST" and url.path == "/api/undo":
                return self._send_json(200, batch.undo(self._json_body()))
            if url.path in STATIC or url.path in ("/api/annotators", "/api/tasks", "/api/answer", "/api/undo"):
                raise ApiError(405, f"{method} is not allowed on {url.path}")
            raise ApiError(404, f"no such page: {url.path}")
        except ApiError as e:
            self._send_json(e.status, {"error": e.message})
        except Exception:  # noqa: BLE001 (any bug: the traceback goes to the terminal, never to the client)
            traceback.print_exc(file=sys.stderr)
            self._send_json(500, {"error": "internal error; see the server's terminal"})

    def _check_host(self) -> None:
        allowed = self.server.allowed_hosts()
        if allowed is not None and self.headers.get("Host", "") not in allowed:
            raise ApiError(421, "unexpected Host header; open the page at the address the server printed")

    def _json_body(self) -> dict[str, Any]:
        # Requiring JSON also stops other web pages from posting answers: a cross-site JSON post needs
        # a CORS preflight, which this server never grants.
        if self.headers.get_content_type() != "application/json":
            raise ApiError(415, "send the request as application/json")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise ApiError(411, "Content-Length required") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise ApiError(413, f"request body over {MAX_BODY_BYTES} bytes")
        try:
            body = json.loads(self.rfile.read(length).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return body

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")  # answers change; a stale page or list would mislead
        self.end_headers()
        self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests (answered by the standard library itself) get a JSON error too."""
        self.close_connection = True
        try:
            self._send_json(code, {"error": message or self.responses.get(code, ("error",))[0]})
        except OSError:
            pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Only failures: a line per keypress would bury the messages that matter.
        try:
            if int(code) < 400:
                return
        except ValueError:
            pass
        super().log_request(code, size)


def make_server(*, batch_dir: Path, answers_dir: Path, host: str = "127.0.0.1", port: int = 0,
                guide_version: str = GUIDE_VERSION) -> LabelingServer:
    """A labeling server bound to ``host:port``, not yet serving (call ``serve_forever``).

    Args:
        batch_dir: the batch folder, with one ``tasks-<annotator>.jsonl`` per annotator.
        answers_dir: where each annotator's ``<annotator>.jsonl`` answers file is written.
        host: the address to bind; the default accepts connections from this machine only.
        port: the port; 0 picks a free one (read it from ``server.server_address``).
        guide_version: the guide version written into every answer.

    Returns:
        the server; its ``url`` is the page's address.

    Raises:
        BadInput: for a missing or empty batch folder or a bad task file.
        OSError: when the address cannot be bound.
    """
    return LabelingServer((host, port), Batch(Path(batch_dir), Path(answers_dir), guide_version))


def serve(*, batch_dir: Path, answers_dir: Path, host: str = "127.0.0.1", port: int = 8765,
          guide_version: str = GUIDE_VERSION) -> None:
    """Serve the labeling page until Ctrl-C; prints the page's address first.

    Args:
        batch_dir: the batch folder, with one ``tasks-<annotator>.jsonl`` per annotator.
        answers_dir: where each annotator's answers file is written.
        host: the address to bind (127.0.0.1: this machine only).
        port: the port (0 picks a free one).
        guide_version: the guide version written into every answer.
    """
    server = make_server(batch_dir=batch_dir, answers_dir=answers_dir, host=host, port=port, guide_version=guide_version)
    with server:
        print(f"Labeling page: {server.url}  (annotators: {', '.join(server.batch.tasks)}; Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            # Every acknowledged answer is already on disk: nothing to save on the way out.
            print("\nStopped.", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m forum_anecdotes.annotation.server --batch-dir B --answers-dir A``.

    Returns:
        the exit status (2 for a bad batch folder).
    """
    parser = argparse.ArgumentParser(description="Serve the labeling page for a batch of annotation tasks.")
    parser.add_argument("--batch-dir", type=Path, required=True, help="folder of tasks-<annotator>.jsonl files")
    parser.add_argument("--answers-dir", type=Path, required=True, help="folder for <annotator>.jsonl answer files")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    args = parser.parse_args(argv)
    try:
        serve(batch_dir=args.batch_dir, answers_dir=args.answers_dir, host=args.host, port=args.port)
    except BadInput as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
