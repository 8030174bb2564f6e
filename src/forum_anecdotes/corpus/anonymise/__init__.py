"""Anonymisation: keyed pseudonyms for authors, typed placeholders for identifiers in text.

Two things happen to every post before it is published:

* its author becomes a *pseudonym* (:func:`pseudonymise_author`): an HMAC of the normalised handle
  under a secret key, so the same person gets the same pseudonym in every source and every build,
  and nobody without the key can go back from the pseudonym to the handle;
* identifiers in its text become typed placeholders (:class:`TextScrubber`): ``[USER_n]``,
  ``[EMAIL]``, ``[URL:domain]``, ``[PHONE]``, ``[IP]``, ``[ADDRESS]`` and ``[NAME]``. The values
  are never kept, only their kind and offsets (:class:`Replacement`).

The scrubber is rule-based and tuned for precision as much as for recall, because researchers
read the scrubbed text: doses ("20mg", "0.5ml"), dates, prices, chemical names ("5-HT2A") and
subreddits ("r/opiates") are left alone. ``tests/fixtures/pii/pii_testset.jsonl`` measures it
(see :mod:`forum_anecdotes.corpus.pii_eval`).

Decisions worth knowing:

* URL placeholders keep the *registrable* domain ("old.reddit.com" -> ``[URL:reddit.com]``),
  not the full host, because subdomains of blog platforms are user names ("jane.tumblr.com").
  A URL whose host is an IP address, or whose domain is a known user's name (an author linking
  their own site), becomes ``[URL]``. Markdown links keep their text:
  ``[notes](https://x.org/a)`` becomes ``[notes]([URL:x.org])``.
* "Dr Pepper", "Dr. Reddy's" (a generic-drug maker), "Dr. Google" and an honorific followed by an
  ordinary word ("my doctor. Still, ...") are not people: such words are never part of a NAME.
* Community names (known authors of the same source) are only matched when distinctive, because
  many handles are ordinary words. Thread names (authors of the same thread) are matched when at
  least 3 characters long, except ordinary words: a thread author "Will" is matched only as
  "Will", one called "hope" not at all.
* NAME covers names after an honorific and in self-introductions ("my name is ..."), not every
  person's name in free text: "Hi, I'm Sarah" and a bare "Emily Smith" are not found.
* Speed: the build scrubs thousands of posts per second on one core. Each rule runs only when a
  cheap test says it may match (a word of the post, a character such as "@"), patterns avoid
  case-insensitive and lookbehind-first forms that defeat the regex engine's fast search, and
  known names are found by dictionary lookup of the post's words, not by a regex of all names.
"""
from __future__ import annotations

from forum_anecdotes.corpus.anonymise.names import is_distinctive_community_name
from forum_anecdotes.corpus.anonymise.pseudonyms import (
    age_band,
    coarsen_date,
    normalise_handle,
    pseudonymise_author,
)
from forum_anecdotes.corpus.anonymise.scrub import (
    Replacement,
    ScrubResult,
    TextScrubber,
)
from forum_anecdotes.schema import DELETED_AUTHOR

__all__ = [
    "DELETED_AUTHOR", "Replacement", "ScrubResult", "TextScrubber", "age_band", "coarsen_date",
    "is_distinctive_community_name", "normalise_handle", "pseudonymise_author",
]
