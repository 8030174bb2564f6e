"""Importer for Discourse topics: one JSON file per topic, as the forum returns it at ``/t/{id}.json``.

A topic file holds the topic (``id``, ``title``) and its posts under ``post_stream.posts``. A post
replies to the post whose ``post_number`` equals its ``reply_to_post_number``; a post without one
(other than the first) replies to the topic, i.e. to its first post. A whole topic is read at once,
which is how the reply links are resolved; topics are read one at a time.

The HTML of a post (``cooked``) becomes plain text here, with the standard library's
:mod:`html.parser`; the markdown source (``raw``) is preferred when the export has it.
"""
from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from forum_anecdotes.corpus.importers.base import FieldReader, input_files
from forum_anecdotes.io import BadInput, Rejects, iter_text_lines
from forum_anecdotes.schema import Origin, RawPost

DEFAULT_COMMUNITY = "discourse"


# --------------------------------------------------------------------------- HTML to text


class _CookedToText(HTMLParser):
    """Collects the text of Discourse's cooked HTML, one output line per paragraph, ``<br>`` or list item."""

    # elements that start and end a line of text
    BLOCKS = frozenset({
        "p", "div", "li", "ul", "ol", "pre", "blockquote", "aside", "details", "summary", "table", "tr",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "header", "footer", "section", "article", "figure",
    })
    # elements whose text is not part of the post: quote attribution ("name:" above a quote, which
    # may name a user outside the topic), image size captions, quote buttons, scripts
    SKIPPED_CLASSES = frozenset({"title", "meta", "quote-controls"})
    SKIPPED_TAGS = frozenset({"script", "style", "svg"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._pieces: list[str] = []  # the text of the current line
        self._prefix = ""  # "> " per blockquote level, fixed when the line's first text arrives
        self._quote_depth = 0
        self._pre_depth = 0
        self._skipped: tuple[str, int] | None = None  # (tag, nesting) of the element being skipped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipped is not None:
            if tag == self._skipped[0]:
                self._skipped = (tag, self._skipped[1] + 1)
            return
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        if tag in self.SKIPPED_TAGS or (tag == "div" and classes & self.SKIPPED_CLASSES):
            self._skipped = (tag, 1)
            return
        if tag == "br":
            self._end_line(keep_empty=True)
        elif tag == "img" and "emoji" in classes:
            self.handle_data(attributes.get("alt") or "")  # keep ":smile:", drop other images
        elif tag in self.BLOCKS:
            self._end_line()
            if tag == "blockquote":
                self._quote_depth += 1
            elif tag == "pre":
                self._pre_depth += 1
            elif tag == "li":
                self._pieces.append("- ")
                self._prefix = "> " * self._quote_depth
        elif tag in ("td", "th"):
            self._pieces.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._skipped is not None:
            if tag == self._skipped[0]:
                nesting = self._skipped[1] - 1
                self._skipped = (tag, nesting) if nesting else None
            return
        if tag in self.BLOCKS:
            self._end_line()
            if tag == "blockquote":
                self._quote_depth = max(0, self._quote_depth - 1)
            elif tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._skipped is not None or not data:
            return
        if self._pre_depth:
            first, *rest = data.split("\n")
            self._add(first)
            for line in rest:
                self._end_line(keep_empty=True)
                self._add(line)
            return
        data = re.sub(r"\s+", " ", data)  # HTML whitespace: newlines in the source are spaces
        if not self._pieces:
            data = data.lstrip()
        self._add(data)

    def _add(self, text: str) -> None:
        if not text:
            return
        if not self._pieces:
            self._prefix = "> " * self._quote_depth
        self._pieces.append(text)

    def _end_line(self, keep_empty: bool = False) -> None:
        line = "".join(self._pieces)
        if not self._pre_depth:
            line = re.sub(r" {2,}", " ", line).strip()
        if line:
            self.lines.append((self._prefix + line).rstrip())
        elif keep_empty:
            self.lines.append(("> " * self._quote_depth).rstrip())
        self._pieces = []

    def text(self) -> str:
        self.close()
        self._end_line()
        return "\n".join(self.lines).strip("\n")


def html_to_text(html: str) -> str:
    """Turn a post's cooked HTML into plain text.

    Paragraphs, list items and ``<br>`` become lines; blockquotes become ``"> "`` lines; links keep
    their text (so a mention ``<a class="mention">@x</a>`` stays ``@x``); emoji images keep their
    ``:name:``; quote attributions and image captions are dropped.

    Args:
        html: the ``cooked`` field of a post.

    Returns:
        The text, without leading or trailing blank lines.
    """
    parser = _CookedToText()
    parser.feed(html)
    return parser.text()


# --------------------------------------------------------------------------- topics


def read_topic(file: Path) -> tuple[Mapping[str, Any], list[Any]]:
    """Read one topic file.

    Args:
        file: a topic JSON file.

    Returns:
        The topic object and its ``post_stream.posts`` list.

    Raises:
        BadInput: for bytes that are not UTF-8 (at the line of the first bad byte), invalid JSON
            (at the line where parsing failed), or a topic without ``post_stream.posts``.
    """
    # iter_text_lines names the line of a non-UTF-8 byte; one topic is small enough to hold whole
    text = "\n".join(line for _, line in iter_text_lines(file))
    try:
        topic = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(file, e.lineno, f"malformed JSON: {e.msg} at column {e.colno}") from None
    post_stream = topic.get("post_stream") if isinstance(topic, dict) else None
    posts = post_stream.get("posts") if isinstance(post_stream, dict) else None
    if not isinstance(posts, list):
        raise BadInput(file, None, "no post_stream.posts")
    return topic, posts


def topic_names(topic: Mapping[str, Any], posts: list[Any]) -> tuple[str, ...]:
    """Every username and display name in a topic, in order of first appearance.

    Taken from the posts (``username``, ``name``, ``reply_to_user``) and the topic's ``details``
    (``created_by``, ``last_poster``, ``participants``), including posts that are rejected: their
    names may still appear in the text of the others.
    """
    people: list[Any] = []
    for post in posts:
        if isinstance(post, dict):
            people += [post, post.get("reply_to_user")]
    details = topic.get("details")
    if isinstance(details, dict):
        people += [details.get("created_by"), details.get("last_poster")]
        if isinstance(details.get("participants"), list):
            people += details["participants"]
    names = (person.get(key) for person in people if isinstance(person, dict) for key in ("username", "name"))
    return tuple(dict.fromkeys(n.strip() for n in names if isinstance(n, str) and n.strip()))


def _post_fields(post: Any, *, topic_id: str, origin: Origin, where: str) -> dict[str, Any]:
    """The checked fields of one post of ``post_stream.posts``; raises BadInput naming what is wrong."""
    if not isinstance(post, dict):
        raise BadInput(origin.file, origin.line, f"malformed post: not a JSON object ({where})")
    fields = FieldReader(post)
    post_id = fields.identifier("id")
    post_number = fields.integer("post_number")
    reply_to = fields.integer("reply_to_post_number", required=False)
    author = fields.identifier("username", required=False)
    created = fields.timestamp("created_at")
    raw = fields.string("raw", required=False)
    cooked = fields.string("cooked", required=not raw)  # only needed when there is no markdown
    post_topic_id = fields.identifier("topic_id", required=False)
    fields.raise_if_bad(origin, where=where)
    if post_topic_id not in (None, topic_id):
        raise BadInput(origin.file, origin.line, f"malformed post: topic_id differs from the topic's id ({where})")
    return {
        "native_id": post_id,
        "post_number": post_number,
        "reply_to": reply_to,
        "author": author,
        "created": created,
        "text": raw if raw and raw.strip() else html_to_text(cooked or ""),
    }


def topic_posts(
    file: Path, *, source: str, community: str, rejects: Rejects, order: Iterator[int] | None = None
) -> Iterator[RawPost]:
    """The posts of one topic file, in the file's order.

    Args:
        file: a topic JSON file.
        source: the source name.
        community: the community of every post.
        rejects: where a bad file or a bad post goes. A bad post is named by its position in
            ``post_stream.posts`` ("post #k"); the other posts of the topic are still read.
        order: gives each post's ``order``; pass one counter to all topics so that it runs on
            across them (default: a new count from 0).

    Returns:
        An iterator of posts; the first post has the topic title and no parent.
    """
    origin = Origin(file=str(file))  # the json module gives no line per post
    try:
        topic, posts = read_topic(file)
        topic_fields = FieldReader(topic)
        topic_id = topic_fields.identifier("id")
        title = topic_fields.string("title")
        topic_fields.raise_if_bad(origin, where="topic")
    except BadInput as e:
        rejects.handle(e, source=source)
        return
    checked = []
    for k, post in enumerate(posts, start=1):
        try:
            checked.append(_post_fields(post, topic_id=topic_id, origin=origin, where=f"post #{k}"))
        except BadInput as e:
            rejects.handle(e, source=source)
    if not checked:
        return
    order = order if order is not None else itertools.count()
    # the first post is number 1; if it was deleted or rejected, the earliest one left opens the topic
    first = min(checked, key=lambda p: p["post_number"])
    id_by_number = {p["post_number"]: p["native_id"] for p in checked}
    names = topic_names(topic, posts)
    for post in checked:
        parent = None
        if post is not first:
            # a reply to a post not in the file (deleted, rejected, or beyond the exported page) is
            # kept as a reply to the topic; only earlier posts count, so reply links cannot loop
            target = post["reply_to"]
            replies_to_earlier = target is not None and target < post["post_number"]
            parent = (id_by_number.get(target) if replies_to_earlier else None) or first["native_id"]
        yield RawPost(
            source=source,
            native_id=post["native_id"],
            thread_native_id=f"topic-{topic_id}",
            parent_native_id=parent,
            author=post["author"],
            created=post["created"],
            title=title if post is first else None,
            text=post["text"],
            community=community,
            origin=origin,
            order=next(order),
            context_names=names,
        )


def import_discourse(
    path: str | Path, *, source: str, rejects: Rejects, options: Mapping[str, Any] | None = None
) -> Iterator[RawPost]:
    """Read Discourse topics from topic JSON files.

    Args:
        path: a topic file, or a folder whose ``*.json`` files are read in name order.
        source: the source name.
        rejects: where bad files (not UTF-8, invalid JSON, no ``post_stream.posts``) and bad posts go.
        options: ``community`` (default ``"discourse"``).

    Returns:
        An iterator of posts, topic by topic. ``native_id`` is the post id, ``thread_native_id``
        ``"topic-{id}"``; ``author`` is the username; ``context_names`` holds every username and
        display name of the topic, for the anonymiser.

    Raises:
        FileNotFoundError: at the call, when there is nothing to read at ``path``.
    """
    files = input_files(path, (".json",), source=source)
    community = str((options or {}).get("community") or DEFAULT_COMMUNITY)
    return _discourse_posts(files, source=source, community=community, rejects=rejects)


def _discourse_posts(files: list[Path], *, source: str, community: str, rejects: Rejects) -> Iterator[RawPost]:
    order = itertools.count()
    for file in files:
        yield from topic_posts(file, source=source, community=community, rejects=rejects, order=order)
