"""Reading raw files line by line with exact error locations, rejecting bad input, writing atomically.

Every reader here names the file and line of a problem. Importers pass each problem to a
:class:`Rejects`, which either raises it (the default: the build stops with the location) or, with
``--skip-bad``, records it in a rejects file with its reason and counts it. Nothing is dropped
silently. Rejects never copy the raw content (it may hold real usernames): the file and line are
enough to find it.
"""
from __future__ import annotations

import collections
import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import zstandard

#: A post longer than this (in UTF-8 bytes) is bad input: real forum posts are far shorter,
#: and such a record is almost always a parsing accident (a whole file in one field).
MAX_POST_BYTES = 1_000_000


class BadInput(Exception):
    """A raw record that cannot be imported.

    Args:
        file: the file it was read from.
        line: the 1-based line (or CSV record end line), or None when the problem is the whole file.
        reason: what is wrong, without quoting raw content.
    """

    def __init__(self, file: str | os.PathLike, line: int | None, reason: str):
        self.file = str(file)
        self.line = line
        self.reason = reason
        where = self.file if line is None else f"{self.file}:{line}"
        super().__init__(f"{where}: {reason}")


class Rejects:
    """Decides what happens to bad input: raise it, or record it in a rejects file and go on.

    Args:
        skip_bad: when False (the default), :meth:`handle` raises the error; when True it is recorded.
        path: where recorded rejects are written as JSON lines (file, line, reason); None keeps them
            in memory only.
    """

    def __init__(self, *, skip_bad: bool = False, path: str | os.PathLike | None = None):
        self.skip_bad = skip_bad
        self.path = Path(path) if path is not None else None
        self.records: list[dict[str, Any]] = []
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()

    def handle(self, error: BadInput, *, source: str = "") -> None:
        """Raise ``error``, or record it when skipping bad input.

        Args:
            error: the problem found.
            source: the source being imported, for the counts.
        """
        if not self.skip_bad:
            raise error
        self.records.append({"source": source, "file": error.file, "line": error.line, "reason": error.reason})
        self.counts[(source, _reason_kind(error.reason))] += 1

    @property
    def total(self) -> int:
        return len(self.records)

    def write(self) -> None:
        """Write the recorded rejects (atomically) to :attr:`path`, if one was given."""
        if self.path is not None:
            write_jsonl_atomic(self.path, self.records)


def _reason_kind(reason: str) -> str:
    """The reason's first clause, so that counts group 'malformed JSON: ...' variants together."""
    return reason.split(":", 1)[0]


def iter_binary_lines(path: str | os.PathLike) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, raw_line_bytes)`` for a file, plain or zstd-compressed (``.zst``).

    Compressed files are decompressed in one streaming pass (several concatenated frames allowed).

    Raises:
        BadInput: for a truncated or corrupt ``.zst`` stream, naming the line after the last
            complete one.
    """
    path = Path(path)
    if path.suffix != ".zst":
        with open(path, "rb") as f:
            yield from enumerate(f, start=1)
        return
    line_no = 0
    pending = b""
    # max_window_size: Pushshift dumps are compressed with --long=31
    new_decompressor = zstandard.ZstdDecompressor(max_window_size=2**31).decompressobj
    dobj, frame_open = new_decompressor(), False
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            while chunk:
                frame_open = True
                try:
                    out = dobj.decompress(chunk)
                except zstandard.ZstdError as e:
                    raise BadInput(path, line_no + 1, f"truncated or corrupt zstd stream: after line {line_no} ({e})") from None
                chunk = b""
                if dobj.eof:  # a frame ended; concatenated frames may follow
                    chunk = dobj.unused_data
                    dobj, frame_open = new_decompressor(), False
                lines = (pending + out).split(b"\n")
                pending = lines.pop()
                for data in lines:
                    line_no += 1
                    yield line_no, data + b"\n"
    if frame_open:
        raise BadInput(path, line_no + 1, f"truncated or corrupt zstd stream: the file ends inside a frame after line {line_no}")
    if pending:
        yield line_no + 1, pending


def _decode_line(path: Path, line_no: int, data: bytes) -> str:
    try:
        return data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as e:
        raise BadInput(path, line_no, f"not valid UTF-8: byte {e.start} of the line") from None


def iter_text_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` for a text file, plain or ``.zst``, without the newline.

    Raises:
        BadInput: for a line that is not UTF-8 (the line is named) or a truncated ``.zst`` file.
    """
    path = Path(path)
    for line_no, data in iter_binary_lines(path):
        yield line_no, _decode_line(path, line_no, data)


def iter_json_lines(path: str | os.PathLike, *, rejects: Rejects, source: str = "") -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, object)`` for each JSON object line of an NDJSON/JSONL file (plain or ``.zst``).

    Blank lines are skipped. A line that is not UTF-8 or not a JSON object goes to ``rejects``
    and reading goes on with the next line. A truncated ``.zst`` file goes to ``rejects`` and ends
    the file.
    """
    path = Path(path)
    try:
        for line_no, data in iter_binary_lines(path):
            try:
                line = _decode_line(path, line_no, data)
            except BadInput as e:
                rejects.handle(e, source=source)
                continue
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                rejects.handle(BadInput(path, line_no, f"malformed JSON: {e.msg} at column {e.colno}"), source=source)
                continue
            if not isinstance(obj, dict):
                rejects.handle(BadInput(path, line_no, f"malformed JSON: expected an object, got {type(obj).__name__}"), source=source)
                continue
            yield line_no, obj
    except BadInput as e:  # a file-level problem: the rest of the file cannot be read
        rejects.handle(e, source=source)


def iter_csv_rows(
    path: str | os.PathLike, *, required: Iterable[str], rejects: Rejects, source: str = ""
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` for each record of a UTF-8 CSV file with a header.

    The line number is where the record starts (a quoted field may span lines). Bytes are decoded
    line by line, so a bad byte is reported at its own line.

    Problems go to ``rejects``: a header without a required column (line 1; nothing is read), a
    row with the wrong number of fields or an empty required value (that row), bytes that are not
    UTF-8 or an unterminated quote (that line; the rest of the file cannot be parsed reliably).
    """
    path = Path(path)
    required = list(required)
    csv.field_size_limit(1 << 30)  # oversize posts are reported by the build, not crashed on here
    with open(path, "rb") as fb:
        reader = csv.reader(_decoded_lines(path, fb), strict=True)
        try:
            header = next(reader, None)
        except (BadInput, csv.Error) as e:
            rejects.handle(_csv_problem(path, 1, e), source=source)
            return
        if header is None:
            rejects.handle(BadInput(path, 1, "empty file: no CSV header"), source=source)
            return
        missing = [c for c in required if c not in header]
        if missing:
            rejects.handle(BadInput(path, 1, f"missing column(s): {', '.join(missing)} (the header has {', '.join(header)})"), source=source)
            return
        start = reader.line_num + 1
        while True:
            try:
                values = next(reader, None)
            except (BadInput, csv.Error) as e:
                rejects.handle(_csv_problem(path, start, e), source=source)
                return
            if values is None:
                break
            line_no, start = start, reader.line_num + 1
            if not values or values == [""]:
                continue
            if len(values) != len(header):
                rejects.handle(BadInput(path, line_no, f"wrong number of fields: expected {len(header)}, found {len(values)}"), source=source)
                continue
            row = dict(zip(header, values))
            empty = [c for c in required if not row[c].strip()]
            if empty:
                rejects.handle(BadInput(path, line_no, f"missing value: {', '.join(empty)}"), source=source)
                continue
            yield line_no, row


def _decoded_lines(path: Path, lines) -> Iterator[str]:
    for line_no, data in enumerate(lines, start=1):
        yield _decode_line(path, line_no, data) + "\n"


def _csv_problem(path: Path, line: int, error: Exception) -> BadInput:
    if isinstance(error, BadInput):
        return BadInput(path, error.line, f"{error.reason}; the rest of the file is not read")
    return BadInput(path, line, f"unparseable CSV: {error}; the rest of the file is not read")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8"):
    """Open a temporary file beside ``path`` and move it into place only if the block succeeds.

    A crash or exception leaves the old file (or none) in place, never a half-written one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_jsonl_atomic(path: str | os.PathLike, records: Iterable[dict]) -> int:
    """Write ``records`` as JSON lines, atomically. Returns the number written."""
    n = 0
    with atomic_write(path) as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n
