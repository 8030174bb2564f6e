"""One annotator's answers file: append-only JSON Lines that survive a crash at any moment.

An answer acknowledged to the labeling page must already be on disk, so :meth:`AnswerStore.append`
writes one whole line, flushes and fsyncs before it returns. The file is never rewritten or
truncated: a correction is a new answer, a withdrawal is an undo record (see
:mod:`forum_anecdotes.annotation.records`), and :func:`current` works out what stands.

A crash in the middle of a write can leave a torn last line (no newline, not valid JSON). Reading
reports it and goes on; the next append first ends that line, so the torn bytes stay on a line of
their own (reported again at each read, never mixed into a good record).
"""
from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from forum_anecdotes.annotation.records import answer_problems, new_answer_id, utc_now
from forum_anecdotes.io import BadInput

log = logging.getLogger(__name__)


def current(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The answer that stands for each post, after undos.

    The latest answer for a post wins; an undo record withdraws the answer it names, so the
    previous answer for that post (if any, and not itself undone) stands again.

    Args:
        records: answer and undo records of one annotator, in file order.

    Returns:
        post_id -> the current answer record, in the order the current answers were written.
    """
    records = list(records)
    undone = {r["undo"] for r in records if "undo" in r}
    standing: dict[str, dict[str, Any]] = {}
    for r in records:
        if "undo" not in r and r["answer_id"] not in undone:
            standing.pop(r["post_id"], None)  # re-insert so that dict order is write order
            standing[r["post_id"]] = r
    return standing


class AnswerStore:
    """The answers file of one annotator (``<answers_dir>/<annotator>.jsonl``).

    One store object per file and process: its lock serialises appends from the server's threads
    (several browser tabs). Two processes must not write the same file.

    Args:
        path: the JSON Lines file; created (with its folder) on the first append.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()

    current = staticmethod(current)

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Validate ``record`` and append it as one line, on disk before returning.

        Args:
            record: an answer or undo record (:func:`records.answer_problems` must find nothing).

        Returns:
            the record, as written.

        Raises:
            ValueError: listing the problems of an invalid record (nothing is written).
        """
        problems = answer_problems(record)
        if problems:
            raise ValueError("; ".join(problems))
        with self._lock:
            self._append_locked(record)
        return record

    def read(self) -> list[dict[str, Any]]:
        """All records of the file, in order (none when it does not exist yet).

        A torn line (from a crash mid-write) or any other unreadable line is logged as a warning and
        skipped; :meth:`read_checked` returns them too.

        Returns:
            the answer and undo records.
        """
        records, problems = self.read_checked()
        for problem in problems:
            log.warning("%s", problem)
        return records

    def read_checked(self) -> tuple[list[dict[str, Any]], list[BadInput]]:
        """All readable records and the problems of the lines that are not.

        Returns:
            (records in file order, one BadInput per skipped line naming file, line and reason).
        """
        with self._lock:  # an append in progress would look like a torn last line
            return self._read_locked()

    def undo_last(self, annotator: str) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
        """Withdraw the most recently written answer that still stands (appends an undo record).

        Reading and appending happen under one lock, so two tabs undoing at once withdraw two
        different answers, never the same one twice.

        Args:
            annotator: the annotator whose file this is (written in the undo record).

        Returns:
            (the withdrawn answer, the answer for that post that stands now or None), or None when
            no answer stands.
        """
        with self._lock:
            records, _ = self._read_locked()
            standing = current(records)
            if not standing:
                return None
            withdrawn = list(standing.values())[-1]
            undo = {"answer_id": new_answer_id(), "undo": withdrawn["answer_id"], "annotator": annotator, "time": utc_now()}
            problems = answer_problems(undo)
            if problems:
                raise ValueError("; ".join(problems))
            self._append_locked(undo)
            return withdrawn, current([*records, undo]).get(withdrawn["post_id"])

    def _append_locked(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        with open(self.path, "ab") as f:
            if f.tell() > 0 and not _ends_with_newline(self.path):
                line = b"\n" + line  # end a torn line first, else this record would be glued to it
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        if created:  # the new file's directory entry must be on disk too
            _fsync_dir(self.path.parent)

    def _read_locked(self) -> tuple[list[dict[str, Any]], list[BadInput]]:
        if not self.path.exists():
            return [], []
        data = self.path.read_bytes()
        lines = data.split(b"\n")
        last = len(lines)  # the line after the final newline ("" when the file ends with one)
        records: list[dict[str, Any]] = []
        problems: list[BadInput] = []
        for line_no, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            torn = line_no == last
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                reason = ("torn last line (no newline, not valid JSON): a write cut short by a crash, ignored" if torn
                          else "not valid JSON (a line torn by an earlier crash?), ignored")
                problems.append(BadInput(self.path, line_no, reason))
                continue
            if not isinstance(obj, dict) or answer_problems(obj):
                why = "; ".join(answer_problems(obj)) if isinstance(obj, dict) else "not a JSON object"
                problems.append(BadInput(self.path, line_no, f"not an answer or undo record ({why}), ignored"))
                continue
            records.append(obj)
        return records, problems


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory; the file itself is synced
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
