"""Loading the published corpus, and re-attaching withheld text from a local copy of its sources.

Some sources' terms forbid publishing their text (PsyTAR, reddit_threads): the corpus carries
their ids, structure and labels only. Whoever holds the raw files (and, for sources with keyed
ids, the key the corpus was built with) re-attaches the text with :func:`load_corpus`. The text is
made by the build's own per-post pipeline, so it is exactly what the build saw, and it is kept in
memory: nothing of it is written to the ``datasets`` cache or anywhere else on disk.
"""
from __future__ import annotations

import os
from pathlib import Path

from forum_anecdotes import paths
from forum_anecdotes.corpus.sources import BUILTIN_SOURCES, SourceSpec
from forum_anecdotes.schema import SPLITS, Publish


class WithheldTextError(ValueError):
    """Withheld text cannot be re-attached (a missing key, another key, another version of a source)."""


def load_corpus(
    *,
    corpus_dir: str | os.PathLike = paths.CORPUS_DIR,
    split: str | None = None,
    raw_dir: str | os.PathLike | None = None,
    key: bytes | None = None,
    psytar_workbook: str | os.PathLike | None = None,
):
    """Load the published corpus with Hugging Face ``datasets``, offline.

    Equivalent to ``datasets.load_dataset("corpus")`` from the repository root, plus, when a local
    raw-data folder is given, the text of the sources whose text the corpus withholds.

    Args:
        corpus_dir: the corpus folder (a dataset folder with ``configs`` in its README.md).
        split: one of "train", "validation", "test"; None for all three.
        raw_dir: your copy of the raw sources (laid out as ``shared/data``), to re-attach withheld text.
        key: the pseudonymisation key the corpus was built with; needed for sources with keyed
            ids (reddit_threads), not for PsyTAR.
        psytar_workbook: shorthand for PsyTAR alone: the path of your ``PsyTAR_dataset.xlsx``.

    Returns:
        A ``datasets.DatasetDict`` with the three splits, or one ``datasets.Dataset``. Re-attached
        text lives in memory only.

    Raises:
        ValueError: for an unknown split.
        WithheldTextError: when text cannot be re-attached (see :func:`attach_withheld_text`).
    """
    import datasets

    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; the splits are {', '.join(SPLITS)}")
    loaded = datasets.load_dataset(str(corpus_dir), split=split)
    if raw_dir is not None:
        loaded = attach_withheld_text(loaded, raw_dir=Path(raw_dir), key=key)
    elif psytar_workbook is not None:
        loaded = attach_withheld_text(loaded, raw_dir=Path(psytar_workbook).parent, key=key,
                                      sources=[_with_path(_builtin("psytar"), Path(psytar_workbook))])
    return loaded


def attach_withheld_text(dataset, *, raw_dir: Path, key: bytes | None = None, sources: list[SourceSpec] | None = None):
    """Fill the withheld ``title`` and ``text`` of records from local raw files, in memory.

    Args:
        dataset: a ``Dataset`` or ``DatasetDict`` of the corpus.
        raw_dir: the raw-data folder.
        key: the pseudonymisation key the corpus was built with (for sources without public ids).
        sources: the sources to re-attach (default: every built-in source published as ids and
            labels whose raw files are in ``raw_dir``).

    Returns:
        The same type, with text for those sources' records.

    Raises:
        WithheldTextError: when a source needs the key and none is given, or when a record of a
            re-attached source has no post in the raw files (another key, or another version).
    """
    from forum_anecdotes.corpus.process import process_source
    from forum_anecdotes.io import Rejects

    if sources is None:
        sources = [s for s in BUILTIN_SOURCES if s.publish is Publish.IDS_AND_LABELS and s.resolve(raw_dir).exists()]
    texts: dict[str, tuple[str | None, str]] = {}
    for spec in sources:
        if key is None and not spec.public_ids:
            raise WithheldTextError(f"re-attaching {spec.name} text needs the key the corpus was built with "
                                    f"(set $FORUM_ANECDOTES_KEY or keep {paths.KEY_FILE})")
        for done in process_source(spec, raw_dir=raw_dir, key=key or b"", rejects=Rejects(skip_bad=True)):
            texts[done.post.post_id] = (done.post.title, done.post.text)
    names = {s.name for s in sources}

    def fill(batch):
        titles, bodies = list(batch["title"]), list(batch["text"])
        for i, (post_id, source) in enumerate(zip(batch["post_id"], batch["source"])):
            if source not in names or bodies[i] is not None:
                continue
            if post_id not in texts:
                raise WithheldTextError(f"{post_id} is not in the {source} files under {raw_dir}: were they built "
                                        f"with another key, or is this another version of the source?")
            titles[i], bodies[i] = texts[post_id]
        return {"title": titles, "text": bodies}

    # keep_in_memory: no cache file on disk ever holds the restricted text
    return dataset.map(fill, batched=True, keep_in_memory=True, load_from_cache_file=False,
                       desc="re-attach withheld text")


def _builtin(name: str) -> SourceSpec:
    return next(s for s in BUILTIN_SOURCES if s.name == name)


def _with_path(spec: SourceSpec, path: Path) -> SourceSpec:
    import dataclasses

    return dataclasses.replace(spec, path=str(path.resolve()))
