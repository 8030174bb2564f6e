"""The labeling page end to end: a real headless Chromium against the server run as a subprocess.

The server is killed (SIGKILL) in the middle of the batch and restarted: every answer the page
acknowledged must be in the answers file, and the page must resume at the first unanswered task.
"""
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

from forum_anecdotes.annotation.records import GUIDE_VERSION
from forum_anecdotes.annotation.store import AnswerStore, current
from forum_anecdotes.labels import LABEL_NAMES

# The suite blocks the network; this test talks to its own server on this machine only.
pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ANNOTATOR = "ann-e2e"
XSS = "<script>window.__pwned=1</script><b>bold</b>"
SCREENSHOT = "/tmp/labeling_page.png"


def write_tasks(batch_dir):
    def task(i, title, text, parent=None, opening=None):
        return {"task_id": f"e2e-{i}", "batch": "e2e", "post_id": f"post-{i}", "source": "rmhd", "selection": "random",
                "title": title, "text": text, "parent": parent, "opening": opening, "labels": list(LABEL_NAMES),
                "guide_version": GUIDE_VERSION}

    opening = {"post_id": "post-op", "title": "Coming off sertraline: share your experience",
               "text": "Started this thread to collect tapering stories."}
    tasks = [
        task(1, "Week 3 on sertraline", "The nausea is gone and my mood is finally lifting.\nSleeping better too."),
        task(2, '<img src=x onerror="window.__pwned=2">', f"Missed two doses and got brain zaps. {XSS}",
             parent={"post_id": "post-p", "title": None, "text": "<script>window.__pwned=3</script>Did anyone else get zaps?"},
             opening=opening),
        task(3, None, "My brother overdosed last year; the craving never really stopped.", parent=opening, opening=opening),
        task(4, "Question", "Does venlafaxine cause sweating? Asking for a friend."),
        task(5, None, "I quit kratom cold turkey, day 4 and the restless legs are brutal."),
    ]
    batch_dir.mkdir()
    (batch_dir / f"tasks-{ANNOTATOR}.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    (batch_dir / "tasks-someone-else.jsonl").write_text(json.dumps(task(9, None, "other")) + "\n", encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``python -m forum_anecdotes.annotation.server`` on a fixed port, started and killed at will."""

    def __init__(self, batch_dir, answers_dir, port, log_path):
        self.args = [sys.executable, "-m", "forum_anecdotes.annotation.server", "--batch-dir", str(batch_dir),
                     "--answers-dir", str(answers_dir), "--port", str(port)]
        self.url = f"http://127.0.0.1:{port}/"
        self.log_path = log_path
        self.proc = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_path.read_text()
            try:
                with urllib.request.urlopen(self.url + "api/annotators", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"the server did not start: {self.log_path.read_text()}")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)  # no chance to flush or clean up anything
            self.proc.wait(5)


@pytest.fixture
def server(tmp_path):
    write_tasks(tmp_path / "batch")
    proc = ServerProcess(tmp_path / "batch", tmp_path / "answers", free_port(), tmp_path / "server.log")
    proc.start()
    yield proc
    proc.kill()


def test_label_a_batch_through_a_server_crash(server, tmp_path):
    started = time.monotonic()
    answers_file = tmp_path / "answers" / f"{ANNOTATOR}.jsonl"
    expected = {}  # post_id -> the labels the last saved answer must have

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page_errors = []
        page.on("pageerror", lambda e: page_errors.append(str(e)))
        by = page.get_by_test_id
        position, progress, message = by("task-position"), by("progress"), by("message")

        def toggle(name):
            return by(f"label-toggle-{name}")

        def answer(keys, task_no, *, labels_on=(), unclear=False):
            for key in keys:
                page.keyboard.press(key)
            for name in LABEL_NAMES:
                expect(toggle(name)).to_have_attribute("aria-pressed", "true" if name in labels_on else "false")
            expect(by("unclear-toggle")).to_have_attribute("aria-pressed", "true" if unclear else "false")
            page.keyboard.press("Enter")
            expect(message).to_have_text(f"Saved your answer to task e2e-{task_no}.")
            expected[f"post-{task_no}"] = (dict.fromkeys(LABEL_NAMES, 0) | dict.fromkeys(labels_on, 1), unclear)

        page.goto(server.url)
        expect(by("annotator-list")).to_contain_text(ANNOTATOR)
        by("annotator-input").fill(ANNOTATOR)
        page.keyboard.press("Enter")
        expect(position).to_have_text("Task 1 of 5 · e2e-1")
        expect(progress).to_have_text("0 / 5 answered")
        expect(by(f"label-{LABEL_NAMES[0]}")).to_contain_text("Beneficial effect")
        expect(by(f"label-{LABEL_NAMES[0]}")).to_contain_text("1 when the post reports or claims")
        expect(by("post-text")).to_have_text("The nausea is gone and my mood is finally lifting.\nSleeping better too.")
        answer(["1", "5"], 1, labels_on=("effect_beneficial", "first_hand"))

        # Task 2: markup and scripts in the data are shown as text and never run.
        expect(position).to_have_text("Task 2 of 5 · e2e-2")
        expect(progress).to_have_text("1 / 5 answered")
        expect(by("post-text")).to_have_text(f"Missed two doses and got brain zaps. {XSS}")
        expect(by("post-title")).to_have_text('<img src=x onerror="window.__pwned=2">')
        expect(by("parent-context")).to_contain_text("Did anyone else get zaps?")
        expect(by("opening-context")).to_contain_text("Context: the thread's opening post")
        assert page.locator("#parent-context").get_attribute("open") is None  # context is folded away
        assert page.locator("#post b, #post script, #post img, details script").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"
        page.locator("#parent-context summary").click()
        expect(by("parent-context")).to_contain_text("<script>window.__pwned=3</script>Did anyone else get zaps?")
        page.keyboard.press("3")
        page.keyboard.press("5")
        page.screenshot(path=SCREENSHOT, full_page=True)
        answer(["u"], 2, labels_on=("ssri_withdrawal", "first_hand"), unclear=True)
        expect(position).to_have_text("Task 3 of 5 · e2e-3")
        expect(progress).to_have_text("2 / 5 answered")

        # The server dies. An answer given now is not saved, and the page says so instead of moving on.
        server.kill()
        page.keyboard.press("4")
        page.keyboard.press("Enter")
        expect(message).to_contain_text("Your answer to task e2e-3 was NOT saved. Cannot reach the labeling server.")
        expect(position).to_have_text("Task 3 of 5 · e2e-3")
        expect(progress).to_have_text("2 / 5 answered")
        on_disk = current(AnswerStore(answers_file).read())
        assert {post: (a["labels"], a["unclear"]) for post, a in on_disk.items()} == expected

        # Restart and reload: the page resumes at the first unanswered task.
        server.start()
        page.reload()
        expect(position).to_have_text("Task 3 of 5 · e2e-3")
        expect(progress).to_have_text("2 / 5 answered")
        expect(message).to_have_text("Resuming at task 3.")
        expect(by("saved-state")).to_have_text("Not answered yet.")
        expect(by("opening-context")).to_be_hidden()  # the reply is to the opening post: shown once
        expect(by("parent-context")).to_contain_text("the thread's opening post, which this post replies to")
        answer(["4", "5"], 3, labels_on=("abuse_harm", "first_hand"))
        answer([], 4)
        answer(["4", "3", "5", "3"], 5, labels_on=("abuse_harm", "first_hand"))
        expect(by("done")).to_be_visible()
        expect(progress).to_have_text("5 / 5 answered")

        # Back shows the saved answers.
        page.keyboard.press("Backspace")
        expect(position).to_have_text("Task 5 of 5 · e2e-5")
        expect(toggle("abuse_harm")).to_have_attribute("aria-pressed", "true")
        expect(by("saved-state")).to_contain_text("Your saved answer")
        by("back-button").click()
        expect(position).to_have_text("Task 4 of 5 · e2e-4")
        expect(toggle("first_hand")).to_have_attribute("aria-pressed", "false")

        # Undo withdraws the most recent answer (task 5) and goes to it; answer it again differently.
        page.keyboard.press("z")
        expect(message).to_have_text("Withdrew your answer to task e2e-5; it is unanswered now.")
        expect(position).to_have_text("Task 5 of 5 · e2e-5")
        expect(progress).to_have_text("4 / 5 answered")
        expect(toggle("abuse_harm")).to_have_attribute("aria-pressed", "false")
        del expected["post-5"]
        answer(["2"], 5, labels_on=("effect_adverse",))
        expect(by("done")).to_be_visible()
        expect(progress).to_have_text("5 / 5 answered")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page_errors == []
        browser.close()

    records = AnswerStore(answers_file).read()
    answers = [r for r in records if "undo" not in r]
    undos = [r for r in records if "undo" in r]
    assert len(answers) == 6 and len(undos) == 1  # 5 tasks + the answer to task 5 given again
    assert all(r["annotator"] == ANNOTATOR for r in records)
    assert all(r["guide_version"] == GUIDE_VERSION and r["agent"] == "person" and r["batch"] == "e2e" for r in answers)
    withdrawn = next(a for a in answers if a["answer_id"] == undos[0]["undo"])
    assert withdrawn["post_id"] == "post-5" and withdrawn["labels"]["abuse_harm"] == 1
    assert {post: (a["labels"], a["unclear"]) for post, a in current(records).items()} == expected
    assert len(expected) == 5
    assert f"Labeling page: {server.url}" in server.log_path.read_text()
    assert not (tmp_path / "answers" / "someone-else.jsonl").exists()
    assert time.monotonic() - started < 60
