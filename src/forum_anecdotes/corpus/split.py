"""Deterministic train/validation/test assignment by thread, source by source.

A thread's split follows from a hash of its source and native thread id, never of its content or
author: the same thread lands in the same split in every build and with any pseudonymisation key,
and no thread crosses splits. Each source is split on its own with the same fractions, so every
source is represented in each split in proportion (exactly so in expectation; a source with very
few threads may miss a split).
"""
from __future__ import annotations

import hashlib

from forum_anecdotes.schema import SPLITS

SPLIT_FRACTIONS: dict[str, float] = {"train": 0.8, "validation": 0.1, "test": 0.1}
assert tuple(SPLIT_FRACTIONS) == SPLITS


def thread_draws(source: str, thread_native_id: str) -> tuple[float, float]:
    """Two independent uniform numbers in [0, 1) for a thread: its split draw and its sampling draw.

    Args:
        source: the source name.
        thread_native_id: the thread's id within the source.

    Returns:
        ``(split_draw, sample_draw)``.
    """
    digest = hashlib.sha256(f"forum-anecdotes/thread/v1\x00{source}\x00{thread_native_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64, int.from_bytes(digest[8:16], "big") / 2**64


def split_for_draw(draw: float) -> str:
    """The split a thread's split draw falls in.

    Args:
        draw: the thread's split draw from :func:`thread_draws`.

    Returns:
        One of :data:`~forum_anecdotes.schema.SPLITS`.
    """
    edge = 0.0
    for split, fraction in SPLIT_FRACTIONS.items():
        edge += fraction
        if draw < edge:
            return split
    return SPLITS[-1]
