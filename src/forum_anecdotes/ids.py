"""The id rules, one implementation each: published post and thread ids, and their 64-bit keys.

The build writes ids with :func:`published_id`, and the loader computes the same ids to re-attach
withheld text from a local copy of a source; nothing else makes ids.
"""
from __future__ import annotations

import hashlib

from forum_anecdotes.keys import keyed_digest

#: Hex digits of the keyed digest in a published id: 64 bits, so that even a billion posts of one
#: source collide with a chance of about 3%, and a collision is caught as a repeated id.
ID_DIGEST_LENGTH = 16


def published_id(source: str, native_id: str, *, key: bytes, public: bool = False) -> str:
    """The published id of a post or thread.

    Most sources get a keyed digest of their own id: stable across builds with the same key, and
    revealing neither the author nor the source's id (a Reddit id leads straight back to the post
    and its author). A source whose own ids are public and meant to be cited (PsyTAR's review ids)
    keeps them, so that users can re-attach the withheld text from their copy of the source.

    Args:
        source: the source name.
        native_id: the post's or thread's id within the source.
        key: the project's pseudonymisation key.
        public: keep ``native_id`` as it is (see above).

    Returns:
        ``"<source>-<id>"``.
    """
    if public:
        return f"{source}-{native_id}"
    return f"{source}-{keyed_digest(source + chr(0) + native_id, key=key, length=ID_DIGEST_LENGTH)}"


def id_key64(published: str) -> int:
    """A 64-bit integer key of a published id, for the build's numeric index (0 means "none")."""
    return int.from_bytes(hashlib.blake2b(published.encode("utf-8"), digest_size=8).digest(), "little") or 1
