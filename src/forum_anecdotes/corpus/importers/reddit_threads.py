"""Importers for the Reddit threads with reply trees of ``reddit_threads/`` (see ``shared/data/README.md``).

Two layouts, one catalogue source (:func:`import_reddit_threads`):

* ``drugs_researchchemicals/*.json`` (:func:`import_reddit_json_threads`): r/Drugs and
  r/researchchemicals threads, one JSON object per file keyed by submission id; each comment is
  keyed by its id and nests its replies. Comments carry no author.
* ``opiates/`` (:func:`import_opiates_comment_trees`): r/opiates comment trees, one headerless CSV
  per thread in ``comments/opiates_<submission id>.csv``, whose opening posts are rows of
  ``submissions.csv.gz``.

:func:`import_opiates_submissions` reads every row of ``submissions.csv.gz`` (131,460 r/opiates
submissions, each a one-post thread): the analysts' local workload, never published.

Ids are Reddit's own base-36 ids without their ``t3_``/``t1_`` prefix: ``native_id`` is the
submission or comment id and ``thread_native_id`` the submission id. A submission whose selftext
is ``[removed]`` or ``[deleted]`` keeps its title and gets an empty text; comment bodies are kept as
they are (the build decides what an empty post is).

Repeats are skipped, not rejected (the same record read twice is not bad input): a thread that
appears in several JSON files is imported from the first file in name order, a comment id repeated
within a thread or a submission id repeated in ``submissions.csv.gz`` keeps its first occurrence.
Each importer counts them with :meth:`~forum_anecdotes.io.Rejects.skip` (reasons ``"repeated thread"``,
``"repeated comment"``, ``"repeated submission"``) when it is done, so that the build reports them,
and also takes an optional ``skipped`` counter.
"""
from __future__ import annotations

import ast
import collections
import itertools
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from forum_anecdotes.corpus.importers.base import (
    FieldReader,
    default_community,
    input_files,
    posts_from_records,
)
from forum_anecdotes.io import BadInput, Rejects, iter_csv_rows, iter_text_lines
from forum_anecdotes.schema import Origin, RawPost

log = logging.getLogger(__name__)

JSON_FOLDER = "drugs_researchchemicals"
OPIATES_FOLDER = "opiates"
OPIATES_COMMUNITY = "r/opiates"  # as the other Reddit importers name subreddits
#: Where the r/opiates submissions are, in order of preference (the plain file for tests or a local copy).
SUBMISSIONS_FILES: tuple[str, ...] = ("submissions.csv.gz", "submissions.csv")
#: The columns of a headerless comment file ``opiates/comments/opiates_<submission id>.csv``.
COMMENT_COLUMNS: tuple[str, ...] = ("comment_id", "submission_url", "parent_id", "body", "author", "created_utc")
COMMENT_FILE = re.compile(r"opiates_([A-Za-z0-9]+)\.csv")
SUBMISSION_PREFIX = "t3_"
COMMENT_PREFIX = "t1_"
#: Selftexts that say the text is gone; the title of such a submission is kept.
REMOVED_TEXTS = frozenset({"[removed]", "[deleted]"})

# Some rows of submissions.csv.gz were exported from Python bytes: every text field reads
# "b'...'" with escapes. They are recognised by their id and decoded.
_BYTES_ID = re.compile(r"b'([A-Za-z0-9]+)'")
_BYTES_LITERAL = re.compile(r"""b(['"]).*\1""", re.DOTALL)
_LITERAL_ERRORS = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)


# --------------------------------------------------------------------------- the importers


def import_reddit_threads(
    path: str | Path, *, source: str, rejects: Rejects, options: Mapping[str, Any] | None = None,
    skipped: collections.Counter | None = None,
) -> Iterator[RawPost]:
    """Read all of ``reddit_threads/``: the JSON threads, then the r/opiates comment trees.

    Args:
        path: the ``reddit_threads/`` folder, holding ``drugs_researchchemicals/`` and ``opiates/``.
        source: the source name.
        rejects: where bad records go (see the two importers).
        options: ``community``, for a JSON thread without ``subreddit`` (default: the source name).
        skipped: counts repeats skipped (see the module docstring).

    Returns:
        :func:`import_reddit_json_threads` over ``path/drugs_researchchemicals`` followed by
        :func:`import_opiates_comment_trees` over ``path/opiates``; ``order`` runs on across both.

    Raises:
        FileNotFoundError: at the call, when a folder or the submissions file is missing.
    """
    path = Path(path)
    json_files = input_files(path / JSON_FOLDER, (".json",), source=source)
    comment_files, submissions = _opiates_inputs(path / OPIATES_FOLDER, source=source)
    skipped = collections.Counter() if skipped is None else skipped
    order = itertools.count()
    json_posts = _json_threads(json_files, source=source, rejects=rejects, community=default_community(source, options),
                               order=order, skipped=skipped)
    tree_posts = _opiates_trees(comment_files, submissions, source=source, rejects=rejects, order=order, skipped=skipped)
    return _logged(itertools.chain(json_posts, tree_posts), source, skipped, rejects)


def import_reddit_json_threads(
    path: str | Path, *, source: str, rejects: Rejects, options: Mapping[str, Any] | None = None,
    skipped: collections.Counter | None = None,
) -> Iterator[RawPost]:
    """Read Reddit threads from JSON files keyed by submission id, comments nested in their parents.

    Each file is ``{submission_id: {title, text, author, created, subreddit, comments, ...}}``;
    ``comments`` maps comment ids to ``{body, created, replies, ...}``, ``replies`` nesting the same
    way. ``replies`` may be empty, a dict, or a string holding a Python dict literal (read with
    :func:`ast.literal_eval`). Numbers may be strings (``"1592115102.0"``).

    Args:
        path: a JSON file, or a folder whose ``*.json`` files are read in name order.
        source: the source name.
        rejects: where bad input goes: a file that is not UTF-8 or not JSON (the whole file), a
            submission or comment that is not an object or lacks ``created``, ``title`` (submission)
            or ``body`` (comment), and a ``replies`` string that is not a dict literal (its replies
            are lost; the comment itself is kept). Records have no line: the reason names the
            submission or the comment path ``submission/comment/...``.
        options: ``community``, for a thread without ``subreddit`` (default: the source name).
        skipped: counts threads skipped because an earlier file had them (``"repeated thread"``)
            and comment ids repeated within a thread (``"repeated comment"``).

    Returns:
        An iterator of posts, thread by thread in file order: the submission (``parent_native_id``
        None, ``author`` from the file, ``community`` the lowercased subreddit), then its comments
        depth-first in file order, each with ``parent_native_id`` the enclosing submission or
        comment and ``author`` None (the files have no comment authors). ``order`` counts the posts
        yielded. The comments of a rejected submission or comment are still yielded, naming it as
        their parent (the build treats a parent that is not in the input as unknown).

    Raises:
        FileNotFoundError: at the call, when there is nothing to read at ``path``.
    """
    files = input_files(path, (".json",), source=source)
    skipped = collections.Counter() if skipped is None else skipped
    posts = _json_threads(files, source=source, rejects=rejects, community=default_community(source, options),
                          order=itertools.count(), skipped=skipped)
    return _logged(posts, source, skipped, rejects)


def import_opiates_comment_trees(
    path: str | Path, *, source: str, rejects: Rejects, options: Mapping[str, Any] | None = None,
    skipped: collections.Counter | None = None,
) -> Iterator[RawPost]:
    """Read the r/opiates comment trees: ``comments/opiates_<id>.csv`` and their opening posts.

    ``submissions.csv.gz`` is streamed once, keeping only the rows of the submissions that have a
    comment file (the ids come from the file names); then each comment file is read in name order.

    Args:
        path: the ``opiates/`` folder, holding ``comments/`` and ``submissions.csv.gz`` (or
            ``submissions.csv``).
        source: the source name.
        rejects: where bad input goes: in a comment file a row without 6 fields, an empty
            ``comment_id``, ``parent_id`` or ``created_utc``, a ``parent_id`` without ``t1_``/``t3_``
            or naming another submission, an unreadable date, bytes that are not UTF-8, and
            replies whose parent chain loops; a comment file not named ``opiates_<id>.csv``; in
            ``submissions.csv.gz`` a row without 8 fields or id (any row), or an opening post
            with a missing or malformed field.
        options: unused.
        skipped: counts comment ids repeated in a file (``"repeated comment"``; the first row is
            kept) and repeated rows of an opening post (``"repeated submission"``).

    Returns:
        An iterator of posts, file by file: the opening post (from ``submissions.csv.gz``, title
        and selftext, ``parent_native_id`` None), then the comments in file order, each reply held
        back until its parent has been yielded. ``native_id`` is the comment id, ``parent_native_id``
        the ``parent_id`` without its ``t1_``/``t3_`` prefix, ``thread_native_id`` the submission id
        of the file name. ``author`` is the real author (``[deleted]`` kept, empty as None) and
        ``community`` ``"opiates"``. An empty comment file yields its opening post only.
        When ``submissions.csv.gz`` has no row for a comment file (33 of the 494 in the real data),
        its comments are still yielded: the thread is the file's submission id and the top-level
        comments name it as their parent although no post has that id (the build then treats
        their parent as unknown).

    Raises:
        FileNotFoundError: at the call, when ``comments/`` has no CSV file or there is no
            submissions file.
    """
    comment_files, submissions = _opiates_inputs(Path(path), source=source)
    skipped = collections.Counter() if skipped is None else skipped
    posts = _opiates_trees(comment_files, submissions, source=source, rejects=rejects, order=itertools.count(), skipped=skipped)
    return _logged(posts, source, skipped, rejects)


def import_opiates_submissions(
    path: str | Path, *, source: str, rejects: Rejects, options: Mapping[str, Any] | None = None,
    skipped: collections.Counter | None = None,
) -> Iterator[RawPost]:
    """Read every r/opiates submission of ``submissions.csv.gz`` as a one-post thread, streaming.

    The CSV has the header ``submission_id, url, num_comments, shortlink, author, title, selftext,
    created_utc``. Rows exported from Python bytes (id ``b'abc123'``, texts ``b'...'``) are decoded.

    Args:
        path: ``submissions.csv.gz`` or a plain ``.csv``, or the folder holding it.
        source: the source name.
        rejects: where bad rows go: wrong number of fields, empty ``submission_id`` or
            ``created_utc``, an unreadable date, bytes that are not UTF-8, a bytes literal that is
            not UTF-8, a truncated file (the rest of it).
        options: unused.
        skipped: counts rows whose submission id an earlier row had (``"repeated submission"``;
            the first row is kept). In the real file each of 626 submissions has a plain row and
            a later bytes-exported twin.

    Returns:
        An iterator of posts in file order: ``native_id`` and ``thread_native_id`` the submission
        id, title and selftext (``[removed]``/``[deleted]`` selftext as empty text), the real author
        (empty as None), ``community`` ``"opiates"``. Memory stays flat but for the set of ids seen.

    Raises:
        FileNotFoundError: at the call, when there is no submissions file at ``path``.
    """
    file = _submissions_file(Path(path), source=source)
    skipped = collections.Counter() if skipped is None else skipped
    seen: set[str] = set()

    def read_records(file: Path) -> Iterator[tuple[int, Mapping[str, str]]]:
        for line, row in iter_csv_rows(file, required=("submission_id", "created_utc"), rejects=rejects, source=source):
            if submission_id(row) in seen:
                skipped["repeated submission"] += 1
                continue
            yield line, row

    def make_post(row: Mapping[str, str], *, origin: Origin, order: int) -> RawPost:
        post = opiates_submission_post(row, source=source, origin=origin, order=order)
        seen.add(post.native_id)  # only a row that was imported hides its repeats
        return post

    return _logged(posts_from_records([file], read_records, make_post, source=source, rejects=rejects), source, skipped,
                   rejects)


# --------------------------------------------------------------------------- JSON threads


def _json_threads(files: Iterable[Path], *, source: str, rejects: Rejects, community: str,
                  order: Iterator[int], skipped: collections.Counter) -> Iterator[RawPost]:
    seen: set[str] = set()
    for file in files:
        try:
            threads = read_json_threads(file)
        except BadInput as e:
            rejects.handle(e, source=source)
            continue
        for thread_id, submission in threads.items():
            if not thread_id.strip():
                rejects.handle(BadInput(file, None, "missing submission id (an empty key)"), source=source)
                continue
            if thread_id in seen:
                skipped["repeated thread"] += 1
                continue
            seen.add(thread_id)
            yield from json_thread_posts(file, thread_id, submission, source=source, rejects=rejects,
                                         community=community, order=order, skipped=skipped)


def read_json_threads(file: Path) -> dict[str, Any]:
    """The threads of one JSON file, keyed by submission id.

    Raises:
        BadInput: for bytes that are not UTF-8 (at their line), invalid JSON (at the line where
            parsing failed) or a file that is not one JSON object.
    """
    # iter_text_lines names the line of a non-UTF-8 byte; one file (a few MB) is held whole
    text = "\n".join(line for _, line in iter_text_lines(file))
    try:
        threads = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(file, e.lineno, f"malformed JSON: {e.msg} at column {e.colno}") from None
    if not isinstance(threads, dict):
        raise BadInput(file, None, f"malformed JSON: expected an object keyed by submission id, got {type(threads).__name__}")
    return threads


def json_thread_posts(file: Path, thread_id: str, submission: Any, *, source: str, rejects: Rejects, community: str,
                      order: Iterator[int], skipped: collections.Counter) -> Iterator[RawPost]:
    """The submission ``thread_id`` of a JSON file, then its comments depth-first (see :func:`import_reddit_json_threads`)."""
    origin = Origin(str(file))  # the json module gives no line per record
    if not isinstance(submission, dict):
        rejects.handle(BadInput(file, None, f"malformed submission: not a JSON object (submission {thread_id})"), source=source)
        return
    subreddit = submission.get("subreddit")
    if isinstance(subreddit, str) and subreddit.strip():
        community = f"r/{subreddit.strip().lower()}"
    fields = FieldReader(submission)
    title = fields.string("title")
    text = fields.string("text", required=False, default="")
    author = fields.identifier("author", required=False)
    created = fields.timestamp("created")
    try:
        fields.raise_if_bad(origin, where=f"submission {thread_id}")
    except BadInput as e:
        rejects.handle(e, source=source)
    else:
        yield RawPost(
            source=source, native_id=thread_id, thread_native_id=thread_id, parent_native_id=None,
            author=author, created=created, title=title, text=_submission_text(text),
            community=community, origin=origin, order=next(order),
        )
    comments = _replies(submission.get("comments"), file, where=f"submission {thread_id}", source=source, rejects=rejects)
    seen: set[str] = set()
    # depth-first with an explicit stack: (parent id, comment path, the parent's remaining replies)
    stack = [(thread_id, thread_id, iter(comments.items()))]
    while stack:
        parent_id, parent_path, replies = stack[-1]
        item = next(replies, None)
        if item is None:
            stack.pop()
            continue
        comment_id, comment = item
        path = f"{parent_path}/{comment_id}"
        if not comment_id.strip():
            rejects.handle(BadInput(file, None, f"missing comment id (an empty key; comment {path}, its replies not read)"), source=source)
            continue
        if comment_id in seen or comment_id == thread_id:
            skipped["repeated comment"] += 1
            continue
        seen.add(comment_id)
        if not isinstance(comment, dict):
            rejects.handle(BadInput(file, None, f"malformed comment: not a JSON object (comment {path})"), source=source)
            continue
        fields = FieldReader(comment)
        body = fields.string("body")
        created = fields.timestamp("created")
        try:
            fields.raise_if_bad(origin, where=f"comment {path}")
        except BadInput as e:
            rejects.handle(e, source=source)
        else:
            yield RawPost(
                source=source, native_id=comment_id, thread_native_id=thread_id, parent_native_id=parent_id,
                author=None, created=created, title=None, text=body,
                community=community, origin=origin, order=next(order),
            )
        children = _replies(comment.get("replies"), file, where=f"comment {path}", source=source, rejects=rejects)
        if children:
            stack.append((comment_id, path, iter(children.items())))


def _replies(value: Any, file: Path, *, where: str, source: str, rejects: Rejects) -> dict[str, Any]:
    """The replies of a submission (its ``comments``) or comment: a dict keyed by comment id.

    None, an empty string and an empty dict mean no replies. A string holds a Python dict literal;
    one that does not parse, or anything else, is rejected and reads as no replies.
    """
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value.strip())
        except _LITERAL_ERRORS:
            rejects.handle(BadInput(file, None, f"unparseable replies: a string that is not a Python dict literal ({where}, its replies not read)"), source=source)
            return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        rejects.handle(BadInput(file, None, f"unparseable replies: expected an object keyed by comment id, got {type(value).__name__} ({where}, its replies not read)"), source=source)
        return {}
    return value


# --------------------------------------------------------------------------- r/opiates


def submission_id(row: Mapping[str, str]) -> str:
    """The submission id of a ``submissions.csv.gz`` row, ``b'abc123'`` read as ``abc123``."""
    raw = row["submission_id"].strip()
    match = _BYTES_ID.fullmatch(raw)
    return match.group(1) if match else raw


def opiates_submission_post(row: Mapping[str, str], *, source: str, origin: Origin, order: int,
                            community: str = OPIATES_COMMUNITY) -> RawPost:
    """Turn one row of ``submissions.csv.gz`` into a one-post thread.

    Raises:
        BadInput: naming the missing or malformed fields (``submission_id``, ``title``,
            ``created_utc``; a bytes-exported field that is not UTF-8).
    """
    native_id = submission_id(row)
    record: dict[str, Any] = dict(row, submission_id=native_id)
    if native_id != row["submission_id"].strip():  # a row exported from Python bytes
        undecodable = []
        for key in ("title", "selftext", "author"):
            try:
                record[key] = _from_bytes_literal(record.get(key))
            except ValueError:
                undecodable.append(key)
        if undecodable:
            raise BadInput(origin.file, origin.line, f"wrong type or format: {', '.join(undecodable)} (a bytes literal that is not UTF-8)")
    fields = FieldReader(record)
    fields.identifier("submission_id")
    title = fields.string("title")
    text = fields.string("selftext", required=False, default="")
    author = fields.identifier("author", required=False)
    created = fields.timestamp("created_utc")
    fields.raise_if_bad(origin)
    return RawPost(
        source=source, native_id=native_id, thread_native_id=native_id, parent_native_id=None,
        author=author, created=created, title=title, text=_submission_text(text),
        community=community, origin=origin, order=order,
    )


def _from_bytes_literal(value: str | None) -> str | None:
    """``"b'caf\\xc3\\xa9'"`` as ``"café"``; any other value unchanged. Raises ValueError if it does not decode."""
    if value is None or not _BYTES_LITERAL.fullmatch(value):
        return value
    try:
        data = ast.literal_eval(value)
    except _LITERAL_ERRORS:
        raise ValueError("not a bytes literal") from None
    if not isinstance(data, bytes):
        raise ValueError("not a bytes literal")
    return data.decode("utf-8")  # UnicodeDecodeError is a ValueError


def _submission_text(text: str | None) -> str:
    return "" if text is None or text.strip() in REMOVED_TEXTS else text


def _submissions_file(path: Path, *, source: str) -> Path:
    if path.is_file():
        return path
    for name in SUBMISSIONS_FILES:
        if (path / name).is_file():
            return path / name
    raise FileNotFoundError(f"source {source!r}: no {' or '.join(SUBMISSIONS_FILES)} at {path}")


def _opiates_inputs(path: Path, *, source: str) -> tuple[list[Path], Path]:
    return input_files(path / "comments", (".csv",), source=source), _submissions_file(path, source=source)


def _opiates_trees(comment_files: list[Path], submissions: Path, *, source: str, rejects: Rejects,
                   order: Iterator[int], skipped: collections.Counter) -> Iterator[RawPost]:
    thread_ids: dict[Path, str] = {}
    for file in comment_files:
        match = COMMENT_FILE.fullmatch(file.name)
        if match:
            thread_ids[file] = match.group(1)
        else:
            rejects.handle(BadInput(file, None, "comment file not named opiates_<submission id>.csv: not read"), source=source)
    # one pass over all submissions, keeping the few that open a comment tree
    wanted = set(thread_ids.values())
    openers: dict[str, tuple[int, Mapping[str, str]]] = {}
    for line, row in iter_csv_rows(submissions, required=("submission_id",), rejects=rejects, source=source):
        thread_id = submission_id(row)
        if thread_id in wanted:
            if thread_id in openers:
                skipped["repeated submission"] += 1
            else:
                openers[thread_id] = (line, row)
    for file, thread_id in thread_ids.items():
        if thread_id in openers:
            line, row = openers.pop(thread_id)
            try:
                yield opiates_submission_post(row, source=source, origin=Origin(str(submissions), line), order=next(order))
            except BadInput as e:
                rejects.handle(e, source=source)
        yield from opiates_comment_posts(file, thread_id, source=source, rejects=rejects, order=order, skipped=skipped)


def opiates_comment_posts(file: Path, thread_id: str, *, source: str, rejects: Rejects,
                          order: Iterator[int], skipped: collections.Counter) -> Iterator[RawPost]:
    """The comments of one file ``opiates_<thread_id>.csv``, in file order, parents before replies.

    The file (one thread) is read whole, so that a reply that comes before its parent can be held
    back until the parent has been yielded. A reply whose parent is not in the file is yielded in
    its place; replies whose parent chain loops are rejected.
    """
    posts: list[RawPost] = []
    seen: set[str] = set()
    rows = iter_csv_rows(file, fieldnames=COMMENT_COLUMNS, required=("comment_id", "parent_id", "created_utc"),
                         rejects=rejects, source=source)
    for line, row in rows:
        try:
            post = _opiates_comment(row, thread_id, source=source, origin=Origin(str(file), line))
        except BadInput as e:
            rejects.handle(e, source=source)
            continue
        if post.native_id in seen:
            skipped["repeated comment"] += 1
            continue
        seen.add(post.native_id)
        posts.append(post)
    yielded = {thread_id}
    held: dict[str, list[RawPost]] = collections.defaultdict(list)  # parent id -> its replies, in file order
    for post in posts:
        if post.parent_native_id in yielded or post.parent_native_id not in seen:
            stack = [post]
            while stack:  # the post, then the replies held back for it, depth-first
                ready = stack.pop()
                ready.order = next(order)
                yielded.add(ready.native_id)
                yield ready
                stack.extend(reversed(held.pop(ready.native_id, [])))
        else:
            held[post.parent_native_id].append(post)
    for replies in held.values():  # only replies in a loop are left
        for post in replies:
            rejects.handle(BadInput(post.origin.file, post.origin.line, "reply loop: the parent_id chain never reaches the submission"), source=source)


def _opiates_comment(row: Mapping[str, str], thread_id: str, *, source: str, origin: Origin) -> RawPost:
    fields = FieldReader(row)
    comment_id = fields.identifier("comment_id")
    parent = fields.identifier("parent_id", prefixes=(COMMENT_PREFIX, SUBMISSION_PREFIX))
    body = fields.string("body")
    author = fields.identifier("author", required=False)
    created = fields.timestamp("created_utc")
    fields.raise_if_bad(origin)
    if parent.startswith(SUBMISSION_PREFIX) and parent[len(SUBMISSION_PREFIX):] != thread_id:
        raise BadInput(origin.file, origin.line, "wrong type or format: parent_id (a submission other than the file's)")
    return RawPost(
        source=source, native_id=comment_id, thread_native_id=thread_id, parent_native_id=parent[len(SUBMISSION_PREFIX):],
        author=author, created=created, title=None, text=body, community=OPIATES_COMMUNITY, origin=origin,
    )


def _logged(posts: Iterator[RawPost], source: str, skipped: collections.Counter, rejects: Rejects) -> Iterator[RawPost]:
    """``posts``; once they are all read, the repeats skipped are counted in ``rejects`` and logged."""
    yield from posts
    for reason, count in sorted(skipped.items()):
        rejects.skip(reason, source=source, count=count)
    if skipped:
        log.info("%s: skipped %s", source, ", ".join(f"{n} {kind}(s)" for kind, n in sorted(skipped.items())))


__all__ = [
    "import_opiates_comment_trees",
    "import_opiates_submissions",
    "import_reddit_json_threads",
    "import_reddit_threads",
]
