"""The per-post pipeline: a raw post, with its thread context, becomes a published post.

One implementation, called by the build for every post of every source and by the tag script for
every new post, so that a post the classifier reads was prepared exactly as the corpus was:

1. checks: an empty or oversized post is bad input;
2. furniture: a post that is site furniture (a bot's message) is dropped, with the rule that matched;
3. anonymisation: the author becomes a pseudonym, identifiers in title and text become placeholders,
   with ``[USER_n]`` numbered per thread;
4. substance tagging with the lexicon (text, title and the substances the source files it under);
5. coarsening: the date to its month, an age to its band; ids become published ids.

The pipeline holds no text between posts; only :class:`ThreadContext` (names and numbers of the
thread's users) carries over, and the caller decides how many threads to remember.
"""
from __future__ import annotations

import collections
import dataclasses
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from tqdm import tqdm

from forum_anecdotes.corpus import anonymise
from forum_anecdotes.corpus.furniture import FurnitureRules, default_rules
from forum_anecdotes.corpus.importers import get_importer
from forum_anecdotes.corpus.lexicon import SubstanceLexicon, default_lexicon
from forum_anecdotes.corpus.sources import SourceSpec
from forum_anecdotes.ids import published_id
from forum_anecdotes.io import MAX_POST_BYTES, BadInput, Rejects
from forum_anecdotes.schema import DELETED_AUTHOR, Post, RawPost

#: Threads whose context (who is [USER_1], [USER_2] ...) is kept while a source streams past.
#: Replies far from their thread's other posts in the input start a fresh numbering.
THREAD_STATE_LIMIT = 100_000


@dataclasses.dataclass
class ThreadContext:
    """What the pipeline remembers of a thread while its posts pass through.

    Args:
        names: real names of the thread's authors (and names the importer knows, e.g. of a forum
            page): replaced wherever they occur in the thread's text.
        user_numbers: which ``[USER_n]`` each normalised name became, continued post by post.
    """

    names: set[str] = dataclasses.field(default_factory=set)
    user_numbers: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ProcessedPost:
    """The pipeline's result for one post.

    Args:
        raw: the raw post it was made from (never written: it holds the real author and ids).
        post: the published record, text included (a writer withholds it where terms require);
            ``position`` and ``selection`` are left for the build to decide (-1 and "").
        placeholders: how many identifiers of each kind were replaced.
        full_text: the scrubbed title and text together, as the lexicon and deduplication read them.
    """

    raw: RawPost
    post: Post
    placeholders: collections.Counter
    full_text: str


class FurniturePost(Exception):
    """The post is site furniture (e.g. a bot's message) and is not a corpus post.

    Args:
        rule_id: the furniture rule that matched.
    """

    def __init__(self, rule_id: str):
        super().__init__(f"site furniture: {rule_id}")
        self.rule_id = rule_id


def post_problem(raw: RawPost) -> str | None:
    """Why a raw post cannot be published, or None.

    Returns:
        "empty post: ..." for a post with no title and no text (only punctuation and spaces, like
        the "." some exports leave, count as nothing; an emoji is content), "post larger than ..."
        for one over :data:`~forum_anecdotes.io.MAX_POST_BYTES`.
    """
    content = f"{raw.title or ''}{raw.text or ''}"
    if all(unicodedata.category(c)[0] in "PZC" for c in content):
        return "empty post: no title and no text"
    if len(content.encode("utf-8")) > MAX_POST_BYTES:
        return f"post larger than {MAX_POST_BYTES // 1_000_000} MB"
    return None


class PostPipeline:
    """Turns raw posts of one source into published posts.

    Args:
        key: the pseudonymisation key (:func:`forum_anecdotes.keys.load_key`).
        public_ids: keep the source's own ids (see :func:`forum_anecdotes.ids.published_id`).
        community_names: known user names of the source (authors, and handles mentioned as ``u/``
            anywhere in it); distinctive ones are replaced in every post.
        lexicon: the substance lexicon (default: the packaged one).
        furniture: the site-furniture rules (default: the packaged ones).
    """

    def __init__(
        self,
        *,
        key: bytes,
        public_ids: bool = False,
        community_names: Iterable[str] = (),
        lexicon: SubstanceLexicon | None = None,
        furniture: FurnitureRules | None = None,
    ) -> None:
        self.key = key
        self.public_ids = public_ids
        self.scrubber = anonymise.TextScrubber(community_names=community_names)
        self.lexicon = lexicon if lexicon is not None else default_lexicon()
        self.furniture = furniture if furniture is not None else default_rules()

    def process(self, raw: RawPost, *, thread: ThreadContext | None = None) -> ProcessedPost:
        """Run one post through the pipeline.

        Args:
            raw: the post as an importer (or the tag script's reader) made it.
            thread: the context of its thread, updated in place; None for a post read alone.

        Returns:
            The published post and what was replaced.

        Raises:
            BadInput: for an empty or oversized post (naming its file and line).
            FurniturePost: for a post that is site furniture.
        """
        problem = post_problem(raw)
        if problem:
            raise BadInput(raw.origin.file, raw.origin.line, problem)
        rule = self.furniture.post_rule(raw.text)
        if rule is not None:
            raise FurniturePost(rule.id)
        thread = thread if thread is not None else ThreadContext()
        thread.names.update(n for n in raw.context_names if n)
        if raw.author and raw.author != DELETED_AUTHOR:
            thread.names.add(raw.author)
        scrub = self.scrubber.scrub
        title = scrub(raw.title, thread_names=thread.names, user_numbers=thread.user_numbers) if raw.title else None
        body = scrub(raw.text, thread_names=thread.names, user_numbers=thread.user_numbers)
        placeholders = collections.Counter(r.kind for result in (title, body) if result for r in result.replacements)
        full_text = f"{title.text}\n{body.text}" if title else body.text
        drugs, classes = self.lexicon.substances(full_text + "\n" + "\n".join(raw.subject_drugs))
        post = Post(
            post_id=self.published_id(raw.source, raw.native_id),
            thread_id=self.published_id(raw.source, raw.thread_native_id),
            parent_id=self.published_id(raw.source, raw.parent_native_id) if raw.parent_native_id else None,
            position=-1,
            source=raw.source,
            community=raw.community,
            author=anonymise.pseudonymise_author(raw.author, key=self.key),
            created=anonymise.coarsen_date(raw.created),
            title=title.text if title else None,
            text=body.text,
            drugs=drugs,
            drug_classes=classes,
            selection="",
            age_band=anonymise.age_band(raw.age),
            labels=[label.to_dict() for label in raw.labels],
        )
        return ProcessedPost(raw=raw, post=post, placeholders=placeholders, full_text=full_text)

    def published_id(self, source: str, native_id: str) -> str:
        """The published id of a post or thread of this pipeline's source."""
        return published_id(source, native_id, key=self.key, public=self.public_ids)


def process_source(
    spec: SourceSpec, *, raw_dir: Path, key: bytes, rejects: Rejects, furniture_counts: dict[str, int] | None = None,
    thread_limit: int = THREAD_STATE_LIMIT, progress: bool = False,
) -> Iterator[ProcessedPost]:
    """Import one source and run every post through the pipeline, as the build does.

    The loader calls this too, to re-attach withheld text exactly as the build made it: the same
    known names, the same thread numbering, the same order.

    Args:
        spec: the source's catalogue entry.
        raw_dir: folder its relative path is read from.
        key: the pseudonymisation key.
        rejects: where bad records go (raised or recorded).
        furniture_counts: incremented per furniture rule for each post dropped as site furniture.
        thread_limit: threads whose context is remembered while streaming (the least recently
            seen is forgotten first; its later replies start a fresh ``[USER_n]`` numbering).
        progress: show a progress bar.

    Yields:
        Each good post's :class:`ProcessedPost`, in source order.
    """
    importer = get_importer(spec.importer)
    path = spec.resolve(raw_dir)
    names = collect_names(importer, path, spec) if spec.options.get("collect_community_names") else ()
    pipeline = PostPipeline(key=key, public_ids=spec.public_ids, community_names=names)
    threads: collections.OrderedDict[str, ThreadContext] = collections.OrderedDict()
    posts = importer(path, source=spec.name, rejects=rejects, options=spec.options)
    for raw in tqdm(posts, desc=f"import {spec.name}", unit=" posts", disable=not progress, mininterval=1.0):
        thread = threads.get(raw.thread_native_id)
        if thread is None:
            thread = threads[raw.thread_native_id] = ThreadContext()
            if len(threads) > thread_limit:
                threads.popitem(last=False)
        else:
            threads.move_to_end(raw.thread_native_id)
        try:
            yield pipeline.process(raw, thread=thread)
        except BadInput as e:
            rejects.handle(e, source=spec.name)
        except FurniturePost as e:
            if furniture_counts is not None:
                furniture_counts[e.rule_id] = furniture_counts.get(e.rule_id, 0) + 1


def collect_names(importer, path: Path, spec: SourceSpec) -> set[str]:
    """Known user names of a source: every author, and every handle a post mentions as ``u/`` or ``@``.

    A pre-pass over the source, for sources whose posts name users of other threads: a bare handle
    ("like sleepy_otter said") is only found when the source names that user somewhere.

    Returns:
        The names, as written.
    """
    names = set()
    for raw in importer(path, source=spec.name, rejects=Rejects(skip_bad=True), options=spec.options):
        if raw.author and raw.author != DELETED_AUTHOR:
            names.add(raw.author)
        for text in (raw.title, raw.text):
            if text:
                names.update(anonymise.mentioned_handles(text))
    return names
