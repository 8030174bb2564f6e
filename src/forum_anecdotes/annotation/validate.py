"""Checks of an answers file, line by line, before anything is computed from it.

The answers file is append-only JSON Lines (see :mod:`forum_anecdotes.annotation.records`), written
by the labeling page but sometimes edited by hand (a typo fixed, a line pasted from another
machine). :func:`validate_answers` reads every line and reports what is wrong as :class:`Problem`
objects, each naming the file and line, so that a hand-edited file that is correct is accepted and
one that is not is fixed where the problem is.

Errors make the file unusable as it is (the CLI exits non-zero, see :func:`has_errors`); warnings
are things a person should look at but that the workflow handles: a later answer for the same post
(it supersedes the earlier one, as on the page) or an answer made under an older guide.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from forum_anecdotes.annotation.records import (
    GUIDE_VERSION,
    answer_problems,
    asked_labels,
)
from forum_anecdotes.io import BadInput, iter_binary_lines

ERROR = "error"
WARNING = "warning"
LEVELS: tuple[str, ...] = (ERROR, WARNING)

_VERSION = re.compile(r"\d+(?:\.\d+)*")


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with an answers file.

    Args:
        file: the file, as given.
        line: the 1-based line, or None for a problem with the whole file (e.g. it is missing).
        message: what is wrong, without quoting the post text.
        level: "error" (the file cannot be used as it is) or "warning" (look at it; it is handled).
    """

    file: str
    line: int | None
    message: str
    level: str = ERROR

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {self.level!r}")

    def __str__(self) -> str:
        # compiler style, so that editors can jump to the line; errors read "file:line: message"
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        prefix = "warning: " if self.level == WARNING else ""
        return f"{where}: {prefix}{self.message}"


def guide_version_key(version: str) -> tuple[int, ...]:
    """A sort key for a guide version ("1.0" < "1.2" < "1.10" < "2.0").

    Args:
        version: dot-separated non-negative integers, e.g. "1.0".

    Returns:
        The integers as a tuple, trailing zeros dropped so that "1" and "1.0" compare equal.

    Raises:
        ValueError: for a string that is not such a version.
    """
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise ValueError(f"guide version {version!r} is not a version like 1.0")
    parts = [int(p) for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _utc_time_problem(value: Any) -> str | None:
    """What is wrong with a record's time, or None (the contract wants ISO 8601 in UTC)."""
    if not isinstance(value, str):
        return None  # a missing time is answer_problems' to report
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return f"time {value!r} is not an ISO 8601 time like 2026-11-29T10:00:00Z"
    # answers are ordered and compared by their times; a local time would silently shift them
    if parsed.utcoffset() != dt.timedelta(0):
        return f"time {value!r} is not in UTC (write it with a Z, e.g. 2026-11-29T10:00:00Z)"
    return None


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads hook: a key written twice (easy to do by hand) is an error, not a silent last-wins."""
    seen: dict[str, Any] = {}
    for k, v in pairs:
        if k in seen:
            raise _RepeatedKey(k)
        seen[k] = v
    return seen


class _RepeatedKey(Exception):
    pass


@dataclasses.dataclass
class _Line:
    line: int
    text: str
    record: dict[str, Any]


def validate_answers(
    path: str | os.PathLike,
    *,
    tasks: Mapping[str, dict] | None = None,
    guide_version: str = GUIDE_VERSION,
) -> list[Problem]:
    """Check every line of an answers file (plain, ``.gz`` or ``.zst``).

    Errors:

    * a line that is not UTF-8, not JSON, not a JSON object, or has a key twice;
    * a record that breaks the contract (:func:`~forum_anecdotes.annotation.records.answer_problems`:
      unknown or missing labels, values other than 0/1, missing fields, agent/agent_model...), an
      answer without ``answer_id``, a time that is not ISO 8601 UTC;
    * an ``answer_id`` used twice (a line pasted twice, or an id copied into a new line);
    * with ``tasks``: an unknown ``task_id``, or a ``post_id``/``batch`` that is not the task's;
    * an annotator id that appears with two different agents or language models;
    * an undo naming an unknown answer, an answer that comes after it, another annotator's answer
      or another undo;
    * a guide version that is not a version, or newer than ``guide_version``.

    Warnings:

    * an annotator answering the same post again with no undo of the earlier answer in between:
      "duplicate answer (line N supersedes line M)"; the later answer is a correction and wins;
    * an answer made under an older guide version (both versions named);
    * an undo of an answer that is already withdrawn.

    Blank lines, a UTF-8 byte-order mark and CRLF line ends are accepted (hand-edited files).

    Args:
        path: the answers file.
        tasks: task_id -> task dict (the batch's tasks); None skips the task checks.
        guide_version: the current guide version.

    Returns:
        The problems, in line order (an empty list for a good file).
    """
    file = os.fspath(path)
    current_key = guide_version_key(guide_version)
    problems: list[Problem] = []

    def error(line: int | None, message: str) -> None:
        problems.append(Problem(file, line, message, ERROR))

    def warning(line: int | None, message: str) -> None:
        problems.append(Problem(file, line, message, WARNING))

    lines = _read_records(file, error)
    if lines is None:
        return problems

    # First pass: where each answer_id is (undos may be checked against answers anywhere in the file).
    first_line_of: dict[str, int] = {}
    for item in lines:
        aid = item.record.get("answer_id")
        if isinstance(aid, str) and aid:
            first_line_of.setdefault(aid, item.line)

    by_id: dict[str, _Line] = {}  # answer_id -> its (first) line, for lines seen so far
    withdrawn: dict[str, int] = {}  # answer_id -> line of the undo that withdrew it
    history: dict[tuple[str, str], list[_Line]] = {}  # (annotator, post_id) -> its answers in order
    agent_of: dict[str, tuple[tuple[Any, Any], int]] = {}  # annotator -> ((agent, agent_model), first line)

    for item in lines:
        record, line = item.record, item.line
        record_problems = answer_problems(record)
        for message in record_problems:
            error(line, message)
        is_undo = "undo" in record
        if not is_undo and not (isinstance(record.get("answer_id"), str) and record.get("answer_id")):
            error(line, "missing or empty answer_id (an undo could not name this answer)")
        time_problem = _utc_time_problem(record.get("time"))
        if time_problem:
            error(line, time_problem)

        aid = record.get("answer_id")
        if isinstance(aid, str) and aid:
            if aid in by_id:
                earlier = by_id[aid]
                if earlier.text == item.text:
                    error(line, f"answer_id {aid} repeats line {earlier.line}: the same line twice")
                else:
                    error(line, f"answer_id {aid} is already used at line {earlier.line}")
                continue  # a repeated id would be counted twice below; the error says enough
            by_id[aid] = item

        annotator = record.get("annotator")
        if is_undo:
            if record_problems:
                continue  # without its annotator or target an undo cannot be checked against the answers
            _check_undo(item, by_id, first_line_of, withdrawn, error, warning)
            continue

        if isinstance(annotator, str) and annotator and "agent" in record:
            who = (record.get("agent"), record.get("agent_model") or None)
            if annotator in agent_of and agent_of[annotator][0] != who:
                (agent, model), first = agent_of[annotator]
                error(line, f"annotator {annotator} is agent {_agent_text(record.get('agent'), record.get('agent_model'))} "
                            f"here but {_agent_text(agent, model)} at line {first}; one id, one agent")
            agent_of.setdefault(annotator, (who, line))

        task_id, post_id = record.get("task_id"), record.get("post_id")
        if tasks is not None and isinstance(task_id, str) and task_id:
            task = tasks.get(task_id)
            if task is None:
                error(line, f"unknown task_id {task_id}")
            else:
                if isinstance(post_id, str) and post_id and task.get("post_id") != post_id:
                    error(line, f"post_id {post_id} is not the post of task {task_id} ({task.get('post_id')})")
                labels = record.get("labels")
                if isinstance(labels, dict) and set(labels) != set(asked_labels(task)):
                    error(line, f"answers labels {', '.join(sorted(labels))}, but task {task_id} asks "
                                f"{', '.join(asked_labels(task))}")
                batch = record.get("batch")
                if task.get("batch") is not None and isinstance(batch, str) and batch and task.get("batch") != batch:
                    error(line, f"batch {batch} is not the batch of task {task_id} ({task.get('batch')})")

        version = record.get("guide_version")
        if isinstance(version, str) and version:
            try:
                key = guide_version_key(version)
            except ValueError as e:
                error(line, str(e))
            else:
                if key < current_key:
                    warning(line, f"answer made under guide version {version}; the current guide is version {guide_version}")
                elif key > current_key:
                    error(line, f"guide version {version} is newer than the current guide version {guide_version}")

        if isinstance(annotator, str) and annotator and isinstance(post_id, str) and post_id:
            earlier_answers = history.setdefault((annotator, post_id), [])
            live = [a for a in earlier_answers if a.record.get("answer_id") not in withdrawn]
            if live:
                prev = live[-1]
                message = f"duplicate answer (line {line} supersedes line {prev.line})"
                if prev.record.get("task_id") != task_id:
                    message += f"; tasks {prev.record.get('task_id')} and {task_id} show the same post"
                warning(line, message)
            earlier_answers.append(item)

    return problems


def _agent_text(agent: Any, model: Any) -> str:
    return f"{agent} ({model})" if model else f"{agent}"


def _check_undo(item: _Line, by_id: dict[str, _Line], first_line_of: dict[str, int],
                withdrawn: dict[str, int], error, warning) -> None:
    """The checks of one undo line against the lines before it."""
    target = item.record.get("undo")
    if not isinstance(target, str) or not target:
        return  # answer_problems reported it
    line = item.line
    if target not in by_id:
        if target in first_line_of:
            error(line, f"undo names answer {target}, which comes later (line {first_line_of[target]}); "
                        "an undo follows the answer it withdraws")
        else:
            error(line, f"undo names unknown answer_id {target}")
        return
    answer = by_id[target]
    if "undo" in answer.record:
        error(line, f"undo names line {answer.line}, which is itself an undo, not an answer")
        return
    if answer.record.get("annotator") != item.record.get("annotator"):
        error(line, f"undo by {item.record.get('annotator')} names the answer of {answer.record.get('annotator')} "
                    f"(line {answer.line}); an annotator can only withdraw their own answers")
        return
    if target in withdrawn:
        warning(line, f"answer {target} (line {answer.line}) is already withdrawn at line {withdrawn[target]}")
        return
    withdrawn[target] = line


def _read_records(file: str, error) -> list[_Line] | None:
    """The JSON object lines of ``file``; problems with the others go to ``error``. None: no file."""
    lines: list[_Line] = []
    try:
        for line_no, data in iter_binary_lines(file):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                error(line_no, f"not valid UTF-8: byte {e.start} of the line")
                continue
            if line_no == 1:
                text = text.removeprefix("\ufeff")  # a byte-order mark left by an editor
            text = text.rstrip("\r\n")
            if not text.strip():
                continue  # a blank line, e.g. at the end of a hand-edited file
            try:
                record = json.loads(text, object_pairs_hook=_no_repeated_keys)
            except json.JSONDecodeError as e:
                error(line_no, f"malformed JSON: {e.msg} at column {e.colno}")
                continue
            except _RepeatedKey as e:
                error(line_no, f"key {e.args[0]!r} appears twice in the line")
                continue
            if not isinstance(record, dict):
                error(line_no, f"expected a JSON object, got {_json_kind(record)}")
                continue
            lines.append(_Line(line_no, text.strip(), record))
    except FileNotFoundError:
        error(None, "no such file")
        return None
    except BadInput as e:  # a truncated .gz or .zst: the lines before it were read
        error(e.line, e.reason)
    return lines


def _json_kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(type(value), "a number")


def has_errors(problems: Iterable[Problem]) -> bool:
    """Whether any problem is an error (the CLI then exits non-zero).

    Args:
        problems: from :func:`validate_answers`.

    Returns:
        True when at least one problem has level "error".
    """
    return any(p.level == ERROR for p in problems)


def format_problems(problems: Iterable[Problem]) -> str:
    """The problems for a terminal: one per line, in file and line order, then a count.

    Args:
        problems: from :func:`validate_answers` (several files may be mixed).

    Returns:
        Text ending in a newline, e.g. ``"answers.jsonl:3: unknown task_id b1-0099\\n1 error, 0 warnings\\n"``;
        ``"no problems\\n"`` when there are none.
    """
    problems = sorted(problems, key=lambda p: (p.file, p.line or 0))
    if not problems:
        return "no problems\n"
    n_errors = sum(p.level == ERROR for p in problems)
    n_warnings = len(problems) - n_errors
    summary = f"{n_errors} error{'s' if n_errors != 1 else ''}, {n_warnings} warning{'s' if n_warnings != 1 else ''}"
    return "\n".join([*map(str, problems), summary]) + "\n"

