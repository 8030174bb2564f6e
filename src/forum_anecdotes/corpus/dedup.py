"""Exact and near-duplicate detection over fixed-width fingerprints, so a build never holds texts.

Each post gets an exact key (a 64-bit hash of its normalised text) and, through MinHash over word
3-gram shingles (datasketch), :data:`BANDS` locality-sensitive band keys. Two posts are near
duplicates when all rows of at least one band agree, which happens with probability
``1 - (1 - J**ROWS)**BANDS`` for Jaccard similarity J: about 0.5 at J = 0.77 and above 0.97 at J = 0.9.

Short posts ("lol", "thanks!") are conversation, not content: posts of fewer than
:data:`MIN_TOKENS` words are never called duplicates.
"""
from __future__ import annotations

import hashlib
import re
import zlib

import numpy as np
from datasketch import MinHash

MIN_TOKENS = 8
NUM_PERM = 64
BANDS = 8
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 3

_WORD = re.compile(r"\w+")
# crc32 instead of the default SHA-1: shingles need spread, not cryptographic strength, and it is 3x faster.
_MINHASH = MinHash(num_perm=NUM_PERM, seed=20261121, hashfunc=zlib.crc32)
# One random odd multiplier per row: a band key is a universal hash of its ROWS values.
_BAND_MULTIPLIERS = (np.random.default_rng(20261121).integers(1, 2**63, size=ROWS, dtype=np.uint64) * 2 + 1).astype(np.uint64)


def fingerprint(text: str) -> tuple[int, np.ndarray] | None:
    """The exact key and band keys of a text.

    Args:
        text: the (anonymised) post text, title included.

    Returns:
        ``(exact_key, band_keys)`` with band_keys a uint64 array of length :data:`BANDS`, or None
        for a text of fewer than :data:`MIN_TOKENS` words.
    """
    words = _WORD.findall(text.casefold())
    if len(words) < MIN_TOKENS:
        return None
    exact = int.from_bytes(hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).digest(), "little")
    shingles = {" ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8") for i in range(len(words) - SHINGLE_WORDS + 1)}
    _MINHASH.clear()  # one MinHash reused: building one per post costs as much as hashing it
    _MINHASH.update_batch(list(shingles))
    rows = _MINHASH.hashvalues.astype(np.uint64).reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):  # wrap-around multiplication is the hash
        bands = (rows * _BAND_MULTIPLIERS).sum(axis=1, dtype=np.uint64)
    return exact, bands


def later_occurrences(keys: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Mark every eligible element whose key occurred at a smaller index among eligible elements.

    Args:
        keys: 1-d array of keys.
        eligible: boolean mask of the elements that take part.

    Returns:
        Boolean mask, True for the second and later occurrences of each key.
    """
    index = np.flatnonzero(eligible)
    if index.size == 0:
        return np.zeros(keys.shape[0], dtype=bool)
    order = index[np.argsort(keys[index], kind="stable")]
    sorted_keys = keys[order]
    repeat = np.zeros(order.size, dtype=bool)
    repeat[1:] = sorted_keys[1:] == sorted_keys[:-1]
    out = np.zeros(keys.shape[0], dtype=bool)
    out[order[repeat]] = True
    return out


def find_duplicates(exact: np.ndarray, bands: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact and near duplicates: each post that repeats an earlier post (in build order).

    Args:
        exact: uint64 exact keys, one per post.
        bands: uint64 band keys, shape (posts, BANDS).
        eligible: posts long enough to be compared.

    Returns:
        ``(exact_dup, near_dup)`` boolean masks; a post that is an exact duplicate is not also
        counted as a near one.
    """
    exact_dup = later_occurrences(exact, eligible)
    near_dup = np.zeros_like(exact_dup)
    for b in range(bands.shape[1]):
        near_dup |= later_occurrences(bands[:, b], eligible)
    return exact_dup, near_dup & ~exact_dup
