"""One importer per source format, all with the interface of :mod:`.base`.

:data:`IMPORTERS` maps the ``importer`` field of a source's catalogue entry to its function; modules
are imported on first use so that reading one format does not load the others' dependencies.
"""
from __future__ import annotations

import importlib

from forum_anecdotes.corpus.importers.base import Importer

IMPORTERS: dict[str, str] = {
    "seeds": "forum_anecdotes.corpus.importers.seeds:import_seeds",
    "psytar": "forum_anecdotes.corpus.importers.psytar:import_psytar",
    "rmhd": "forum_anecdotes.corpus.importers.reddit_csv:import_rmhd",
    "opiates": "forum_anecdotes.corpus.importers.reddit_csv:import_opiates",
    "pushshift": "forum_anecdotes.corpus.importers.pushshift:import_pushshift",
    "discourse": "forum_anecdotes.corpus.importers.discourse:import_discourse",
    "jsonl": "forum_anecdotes.corpus.importers.generic:import_jsonl",
    "csv": "forum_anecdotes.corpus.importers.generic:import_csv",
    "reddit_json_threads": "forum_anecdotes.corpus.importers.reddit_threads:import_reddit_json_threads",
    "opiates_comment_trees": "forum_anecdotes.corpus.importers.reddit_threads:import_opiates_comment_trees",
    "reddit_threads": "forum_anecdotes.corpus.importers.reddit_threads:import_reddit_threads",
    "opiates_submissions": "forum_anecdotes.corpus.importers.reddit_threads:import_opiates_submissions",
}


def get_importer(name: str) -> Importer:
    """The importer function registered as ``name``.

    Raises:
        KeyError: naming the known importers, for an unknown name.
    """
    if name not in IMPORTERS:
        raise KeyError(f"unknown importer {name!r}; known: {', '.join(sorted(IMPORTERS))}")
    module, _, function = IMPORTERS[name].partition(":")
    return getattr(importlib.import_module(module), function)
