"""Loading the published corpus, and re-attaching withheld text from a local copy of its source."""
from __future__ import annotations

import os
from pathlib import Path

from forum_anecdotes import paths
from forum_anecdotes.schema import SPLITS


def load_corpus(*, corpus_dir: str | os.PathLike = paths.CORPUS_DIR, split: str | None = None, psytar_workbook: str | os.PathLike | None = None):
    """Load the published corpus with Hugging Face ``datasets``, offline.

    Equivalent to ``datasets.load_dataset("corpus")`` from the repository root, plus, when a local
    copy of the PsyTAR workbook is given, the PsyTAR texts that the corpus withholds.

    Args:
        corpus_dir: the corpus folder (a dataset folder with ``configs`` in its README.md).
        split: one of "train", "validation", "test"; None for all three.
        psytar_workbook: path of your copy of ``PsyTAR_dataset.xlsx`` to re-attach PsyTAR text.

    Returns:
        A ``datasets.DatasetDict`` with the three splits, or one ``datasets.Dataset``.
    """
    import datasets

    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; the splits are {', '.join(SPLITS)}")
    loaded = datasets.load_dataset(str(corpus_dir), split=split)
    if psytar_workbook is not None:
        loaded = attach_psytar_text(loaded, psytar_workbook)
    return loaded


def attach_psytar_text(dataset, workbook: str | os.PathLike):
    """Fill the withheld ``text`` of PsyTAR records from a local copy of the workbook.

    The text is anonymised the same way as the build does; it stays on your machine.

    Args:
        dataset: a ``Dataset`` or ``DatasetDict`` of the corpus.
        workbook: path of ``PsyTAR_dataset.xlsx``.

    Returns:
        The same type, PsyTAR records carrying their text.

    Raises:
        ValueError: when a PsyTAR record's id is not in the workbook (a different version).
    """
    from forum_anecdotes.corpus.anonymise import TextScrubber
    from forum_anecdotes.corpus.importers.psytar import import_psytar
    from forum_anecdotes.io import Rejects

    source = "psytar"
    scrubber = TextScrubber()
    texts = {
        f"{source}-{raw.native_id}": scrubber.scrub(raw.text).text
        for raw in import_psytar(Path(workbook), source=source, rejects=Rejects(skip_bad=True))
    }

    def fill(record):
        if record["source"] == source and record["text"] is None:
            if record["post_id"] not in texts:
                raise ValueError(f"{record['post_id']} is not in {workbook}: is it another version of PsyTAR?")
            record["text"] = texts[record["post_id"]]
        return record

    return dataset.map(fill, desc="attach PsyTAR text")
