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
import gzip
import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
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

    def __reduce__(self):
        # rebuilt from its own fields, so that it survives a trip between processes (Ray's workers)
        return type(self), (self.file, self.line, self.reason)


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
        #: records passed over on purpose, not errors (e.g. a thread that a second file repeats),
        #: by (source, reason): counted so that nothing is lost without a trace
        self.skipped: collections.Counter[tuple[str, str]] = collections.Counter()

    def skip(self, reason: str, *, source: str = "", count: int = 1) -> None:
        """Count records passed over on purpose (never an error, whatever ``skip_bad`` says).

        Args:
            reason: why, e.g. "repeated thread".
            source: the source being imported.
            count: how many records.
        """
        if count:
            self.skipped[(source, reason)] += count

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
    """Yield ``(line_number, raw_line_bytes)`` for a file, plain, zstd (``.zst``) or gzip (``.gz``).

    Compressed files are decompressed in one streaming pass (several concatenated frames or
    members allowed): memory stays flat whatever the size of the file.

    Raises:
        BadInput: for a truncated or corrupt ``.zst`` or ``.gz`` stream, naming the line after the
            last complete one; the reason says after which line the file broke off and that the
            rest of the file is lost. The lines before it have been yielded.
    """
    path = Path(path)
    if path.suffix == ".zst":
        yield from _zstd_lines(path)
    elif path.suffix == ".gz":
        yield from _gzip_lines(path)
    else:
        with open(path, "rb") as f:
            yield from enumerate(f, start=1)


def _stream_broken(path: Path, kind: str, line_no: int, detail: str) -> BadInput:
    """The error for a compressed stream that breaks off after ``line_no`` complete lines."""
    return BadInput(path, line_no + 1, f"truncated or corrupt {kind} stream: after line {line_no}, the rest of the file is lost ({detail})")


def _zstd_lines(path: Path) -> Iterator[tuple[int, bytes]]:
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
                    raise _stream_broken(path, "zstd", line_no, str(e)) from None
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
        raise _stream_broken(path, "zstd", line_no, "the file ends inside a frame")
    if pending:
        yield line_no + 1, pending


def _gzip_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    line_no = 0
    with gzip.open(path, "rb") as f:  # a missing file raises here, as for plain files
        while True:
            try:
                data = f.readline()
            except EOFError:  # the stream stops before its end marker
                raise _stream_broken(path, "gzip", line_no, "the file ends inside the stream") from None
            except (OSError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
                raise _stream_broken(path, "gzip", line_no, str(e)) from None
            if not data:
                return
            line_no += 1
            yield line_no, data


def _decode_line(path: Path, line_no: int, data: bytes) -> str:
    try:
        return data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as e:
        raise BadInput(path, line_no, f"not valid UTF-8: byte {e.start} of the line") from None


def iter_text_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` for a text file, plain, ``.zst`` or ``.gz``, without the newline.

    Raises:
        BadInput: for a line that is not UTF-8 (the line is named) or a truncated compressed file.
    """
    path = Path(path)
    for line_no, data in iter_binary_lines(path):
        yield line_no, _decode_line(path, line_no, data)


def iter_json_lines(path: str | os.PathLike, *, rejects: Rejects, source: str = "") -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, object)`` for each JSON object line of an NDJSON/JSONL file (plain, ``.zst`` or ``.gz``).

    Blank lines are skipped. A line that is not UTF-8 or not a JSON object goes to ``rejects``
    and reading goes on with the next line. A truncated compressed file goes to ``rejects`` (one
    reject, naming the line where it broke off) and ends the file.
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
    path: str | os.PathLike,
    *,
    required: Iterable[str],
    rejects: Rejects,
    source: str = "",
    fieldnames: Sequence[str] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` for each record of a UTF-8 CSV file, plain, ``.zst`` or ``.gz``.

    The file has a header line, or none when ``fieldnames`` names its columns. The line number is
    where the record starts (a quoted field may span lines). Compressed files are read as a stream.

    Problems go to ``rejects`` and reading goes on with the next record, except where noted:

    * a header without a required column (line 1; nothing is read), or an empty file with a header
      expected (a headerless empty file just has no records);
    * a row with the wrong number of fields or an empty required value (that row);
    * bytes that are not UTF-8 (that record, at the line of the bad byte);
    * an unterminated quote or other CSV syntax error (that record; the rest of the file cannot be
      parsed reliably and is not read), or a truncated compressed file (the rest is lost).

    Args:
        path: the file.
        required: columns that must exist and be non-empty in every row.
        rejects: where problems go.
        source: the source name, for the rejects.
        fieldnames: the column names of a headerless file, in order; None when the first line is
            the header.
    """
    path = Path(path)
    required = list(required)
    csv.field_size_limit(1 << 30)  # oversize posts are reported by the build, not crashed on here
    # Lines are decoded one by one with surrogateescape, so a bad byte neither stops csv.reader nor
    # shifts the parse; the lines that had one are noted and their record is rejected.
    bad_bytes: list[tuple[int, int]] = []
    with contextlib.closing(_decoded_lines(path, bad_bytes)) as lines:
        yield from _csv_records(path, csv.reader(lines, strict=True), bad_bytes, required=required,
                                fieldnames=fieldnames, rejects=rejects, source=source)


def _csv_records(path: Path, reader, bad_bytes: list[tuple[int, int]], *, required: list[str],
                 fieldnames: Sequence[str] | None, rejects: Rejects, source: str) -> Iterator[tuple[int, dict[str, str]]]:
    def next_record(start: int) -> list[str] | None:
        """The next record, or None at the end; raises BadInput when the rest of the file cannot be read."""
        try:
            return next(reader, None)
        except csv.Error as e:
            raise BadInput(path, start, f"unparseable CSV: {e}; the rest of the file is not read") from None

    def bad_byte_problem(start: int) -> BadInput | None:
        """The reject for the record that starts at ``start``, if a line of it was not UTF-8."""
        if not bad_bytes:
            return None
        line, byte = bad_bytes[0]
        bad_bytes.clear()
        where = "" if line == start else f" (in the record that starts at line {start})"
        return BadInput(path, line, f"not valid UTF-8: byte {byte} of the line{where}")

    if fieldnames is None:
        try:
            header = next_record(1)
        except BadInput as e:
            rejects.handle(e, source=source)
            return
        problem = bad_byte_problem(1)
        if problem is not None:
            rejects.handle(BadInput(path, 1, f"{problem.reason} (the header); the rest of the file is not read"), source=source)
            return
        if header is None:
            rejects.handle(BadInput(path, 1, "empty file: no CSV header"), source=source)
            return
    else:
        header = list(fieldnames)
    missing = [c for c in required if c not in header]
    if missing:
        rejects.handle(BadInput(path, 1, f"missing column(s): {', '.join(missing)} (the header has {', '.join(header)})"), source=source)
        return
    start = reader.line_num + 1
    while True:
        try:
            values = next_record(start)
        except BadInput as e:
            rejects.handle(e, source=source)
            return
        if values is None:
            return
        line_no, start = start, reader.line_num + 1
        problem = bad_byte_problem(line_no)
        if problem is not None:
            rejects.handle(problem, source=source)
            continue
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


def _decoded_lines(path: Path, bad_bytes: list[tuple[int, int]]) -> Iterator[str]:
    """The lines of ``path`` as text for csv.reader; notes ``(line, byte)`` of each non-UTF-8 line."""
    for line_no, data in iter_binary_lines(path):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            bad_bytes.append((line_no, e.start))
            text = data.decode("utf-8", errors="surrogateescape")
        yield text.rstrip("\r\n") + "\n"


@contextlib.contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """A fresh folder beside ``final`` that replaces it (whole) when the block succeeds.

    A reader sees the old folder or the new one, never a half-written one; on failure the old
    folder stays and the fresh one is removed. The new folder is made readable by all (mkdtemp
    makes it owner-only): model and tag folders are meant to be shared.

    Args:
        final: the folder to replace (created if missing).

    Yields:
        The fresh folder to fill.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        yield staging
        staging.chmod(0o755)
        old = final.with_name(f".{final.name}.old")
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
        staging.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
