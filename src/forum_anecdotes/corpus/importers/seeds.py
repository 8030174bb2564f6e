"""Importer for the seed documents: plain-text copies of web pages (blog posts, a forum thread).

A document becomes one thread. Site furniture is removed first (rules in ``resources/furniture.yaml``).
If the page is a forum thread -- numbered post headers that name the poster, each followed by the
post indented deeper -- every post becomes a record, and a reply whose first line is
``Re: <title>`` is attached to the post with that title (otherwise to the thread's first post).
Any other page is one post: an article whose title is its first line when that line looks like a
title, and whose author comes from its bio box when it has one.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from forum_anecdotes.corpus.furniture import default_rules
from forum_anecdotes.io import BadInput, Rejects
from forum_anecdotes.schema import Origin, RawPost

# "  2. some_handle" -- a list number and a short poster name alone on a line, indented less than the
# post body that follows it.
POST_HEADER = re.compile(r"^(?P<indent>[ \t]*)\d+\.[ \t]+(?P<author>\S(?:[^\n]{0,38}\S)?)[ \t]*$")
REPLY_SUBJECT = re.compile(r"^Re:\s*(?P<subject>.+?)\s*$")
TITLE_MAX_CHARS = 120


@dataclasses.dataclass
class _ForumPost:
    author: str
    header_line: int
    lines: list[str]


def import_seeds(path: Path, *, source: str, rejects: Rejects, options: Mapping | None = None) -> Iterator[RawPost]:
    """Import every ``*.txt`` document in the seeds folder.

    Args:
        path: the folder of seed documents.
        source: the source name for the records.
        rejects: where bad documents go.
        options: ``communities`` maps a document's file stem to its site name (default "web").

    Returns:
        An iterator of RawPost, documents in file-name order, posts in page order.
    """
    options = options or {}
    communities = options.get("communities", {})
    files = sorted(Path(path).glob("*.txt"))
    if not files:
        raise BadInput(path, None, "no *.txt seed documents found")
    for file in files:
        try:
            text = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as e:
            line = file.read_bytes()[: e.start].count(b"\n") + 1
            rejects.handle(BadInput(file, line, "not valid UTF-8"), source=source)
            continue
        yield from _document_posts(file, text, source=source, community=communities.get(file.stem, "web"), rejects=rejects)


def _document_posts(file: Path, text: str, *, source: str, community: str, rejects: Rejects) -> Iterator[RawPost]:
    cleaned = default_rules().clean_document(text)
    forum_posts = _split_forum_posts(cleaned.lines, cleaned.line_numbers)
    thread = file.stem
    if not forum_posts:
        title, body = _article_title_and_body(cleaned.lines)
        if not body and not title:
            rejects.handle(BadInput(file, None, "empty document after removing site furniture"), source=source)
            return
        yield RawPost(
            source=source, native_id=f"{thread}#1", thread_native_id=thread, parent_native_id=None,
            author=cleaned.author, created=None, title=title, text=body, community=community,
            origin=Origin(str(file), cleaned.line_numbers[0] if cleaned.line_numbers else 1), order=0,
            context_names=(cleaned.author,) if cleaned.author else (),
        )
        return
    names = tuple(dict.fromkeys(p.author for p in forum_posts))
    titles: dict[str, str] = {}  # post title -> native id, for "Re: <title>" replies
    root_id = f"{thread}#1"
    for k, post in enumerate(forum_posts, start=1):
        native_id = f"{thread}#{k}"
        body = _dedent(post.lines)
        first, rest = (body[0].strip(), body[1:]) if body else ("", [])
        parent = None if k == 1 else root_id
        title = None
        reply = REPLY_SUBJECT.match(first)
        if reply:
            parent = titles.get(reply["subject"], parent)
            body = rest
        elif k > 1 and _looks_like_title(first, rest):
            # A post that opens with a title line (e.g. a shared article) can be replied to by title.
            title, body = first, rest
            titles[first] = native_id
        yield RawPost(
            source=source, native_id=native_id, thread_native_id=thread, parent_native_id=parent,
            author=post.author, created=None, title=title, text=_join(body), community=community,
            origin=Origin(str(file), post.header_line), order=k, context_names=names,
        )


def _split_forum_posts(lines: list[str], line_numbers: list[int]) -> list[_ForumPost]:
    """Posts of a forum page: a header line followed by lines indented deeper than it."""
    posts: list[_ForumPost] = []
    for i, line in enumerate(lines):
        header = POST_HEADER.match(line)
        if header and _next_content_indent(lines, i) > len(header["indent"]):
            posts.append(_ForumPost(author=header["author"], header_line=line_numbers[i], lines=[]))
        elif posts:
            posts[-1].lines.append(line)
    return posts


def _next_content_indent(lines: list[str], i: int) -> int:
    for line in lines[i + 1:]:
        if line.strip():
            return len(line) - len(line.lstrip())
    return -1


def _article_title_and_body(lines: list[str]) -> tuple[str | None, str]:
    content = list(lines)
    while content and not content[0].strip():
        content.pop(0)
    if not content:
        return None, ""
    first, rest = content[0].strip(), content[1:]
    if _looks_like_title(first, rest):
        return first, _join(rest)
    return None, _join(content)


def _looks_like_title(first: str, rest: list[str]) -> bool:
    """A short first line that does not end a sentence, followed by more text."""
    return bool(first) and len(first) <= TITLE_MAX_CHARS and not first.endswith((".", ":", ",", ";")) and any(r.strip() for r in rest)


def _dedent(lines: list[str]) -> list[str]:
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:] for line in lines]


def _join(lines: list[str]) -> str:
    """Lines back into text: trailing spaces off, runs of blank lines collapsed to one."""
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
