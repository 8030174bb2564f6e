"""Importer for Pushshift Reddit dumps: NDJSON files of submissions and comments, plain or zstd-compressed.

Each line is one submission or one comment. Ids become Reddit "fullnames" (``t3_`` + id for a
submission, ``t1_`` + id for a comment), because that is how a comment names its thread
(``link_id``) and its parent (``parent_id``): thread and parent links then need no lookup, and the
importer streams line by line, whatever the order of submissions and comments in the files.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from forum_anecdotes.corpus.importers.base import (
    JSONL_SUFFIXES,
    FieldReader,
    default_community,
    input_files,
    json_line_posts,
)
from forum_anecdotes.io import Rejects
from forum_anecdotes.schema import Origin, RawPost

SUBMISSION_PREFIX = "t3_"
COMMENT_PREFIX = "t1_"


def is_comment(record: Mapping[str, Any]) -> bool:
    """Whether a Pushshift record is a comment (it has ``link_id`` or ``body``) rather than a submission."""
    return "link_id" in record or "body" in record


def raw_post_from_pushshift(
    record: Mapping[str, Any], *, source: str, community: str, origin: Origin, order: int
) -> RawPost:
    """Turn one Pushshift submission or comment into a RawPost.

    Args:
        record: the parsed NDJSON line.
        source: the source name.
        community: the community when the record has no ``subreddit``.
        origin: file and line of the record.
        order: the record's position in the import.

    Returns:
        The post. Text is kept as is, "[removed]", "[deleted]" and an empty selftext included
        (the build decides what an empty post is).

    Raises:
        BadInput: naming the missing or malformed fields: ``id`` and ``created_utc`` always,
            ``title`` for a submission, ``body``, ``link_id`` (``t3_…``) and ``parent_id``
            (``t1_…``/``t3_…``) for a comment.
    """
    fields = FieldReader(record)
    post_id = fields.identifier("id")
    created = fields.timestamp("created_utc")
    author = fields.identifier("author", required=False)
    subreddit = fields.string("subreddit", required=False)
    if is_comment(record):
        native_id = None if post_id is None else COMMENT_PREFIX + post_id
        text = fields.string("body")
        thread_id = fields.identifier("link_id", prefixes=(SUBMISSION_PREFIX,))
        parent_id = fields.identifier("parent_id", prefixes=(COMMENT_PREFIX, SUBMISSION_PREFIX))
        title = None
    else:
        native_id = None if post_id is None else SUBMISSION_PREFIX + post_id
        title = fields.string("title")
        text = fields.string("selftext", required=False, default="")  # link posts have no selftext
        thread_id, parent_id = native_id, None
    fields.raise_if_bad(origin)
    return RawPost(
        source=source,
        native_id=native_id,
        thread_native_id=thread_id,
        parent_native_id=parent_id,
        author=author,
        created=created,
        title=title,
        text=text,
        community=subreddit or community,
        origin=origin,
        order=order,
    )


def import_pushshift(
    path: str | Path, *, source: str, rejects: Rejects, options: Mapping[str, Any] | None = None
) -> Iterator[RawPost]:
    """Read Reddit submissions and comments from Pushshift NDJSON dumps.

    Args:
        path: a dump file, or a folder whose ``*.ndjson``, ``*.jsonl``, ``*.json`` and ``*.zst``
            files are read in name order (submissions and comments may be in separate files).
        source: the source name.
        rejects: where bad lines go: malformed JSON, bytes that are not UTF-8, a truncated
            ``.zst`` file (the rest of that file), missing or malformed fields.
        options: ``community``, used for records without a ``subreddit`` (default: the source name).

    Returns:
        An iterator of posts in file and line order, one per good line.

    Raises:
        FileNotFoundError: at the call, when there is nothing to read at ``path``.
    """
    files = input_files(path, JSONL_SUFFIXES, source=source)
    make_post = functools.partial(raw_post_from_pushshift, source=source, community=default_community(source, options))
    return json_line_posts(files, make_post, source=source, rejects=rejects)
