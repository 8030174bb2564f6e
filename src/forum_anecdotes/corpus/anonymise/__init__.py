"""Anonymisation: keyed pseudonyms for authors, typed placeholders for identifiers in text.

Two things happen to every post before it is published:

* its author becomes a *pseudonym* (:func:`pseudonymise_author`): an HMAC of the normalised handle
  under a secret key, so the same person gets the same pseudonym in every source and every build,
  and nobody without the key can go back from the pseudonym to the handle;
* identifiers in its text become typed placeholders (:class:`TextScrubber`): ``[USER_n]``,
  ``[EMAIL]``, ``[URL:domain]``, ``[PHONE]``, ``[IP]``, ``[ADDRESS]``, ``[NAME]`` and
  ``[PLACE]``. The values are never kept, only their kind and offsets (:class:`Replacement`).

The scrubber is rule-based and tuned for precision as much as for recall, because researchers
read the scrubbed text: doses ("20mg", "0.5ml"), dates, prices, chemical names ("5-HT2A"),
subreddits ("r/opiates"), states and countries are left alone. Two hand-marked test sets in
``tests/fixtures/pii/`` measure it (see :mod:`forum_anecdotes.corpus.pii_eval`).

Modules: :mod:`.patterns` (regular expressions and word lists), :mod:`.names` (known users),
:mod:`.persons` (NAME without an honorific), :mod:`.places` (PLACE) and :mod:`.gazetteer`,
:mod:`.wordlists` (is a token a word, a drug, or possibly a name), :mod:`.scrub` (the scrubber).

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
* Handles mentioned as "u/name" or "@name" count as known users too: within the post that
  mentions them, and across a source when the build collects them with
  :func:`mentioned_handles` in its first pass and passes them as ``community_names`` (again only
  when distinctive). "u/" after a number is a handle ("thanks 2 u/name") unless what follows is
  a unit of a rate ("10 u/day", "100u/ml").
* NAME covers names after an honorific ("Dr. Okafor"), in self-introductions ("my name is ...",
  "I'm Hannah, 34", "Dev here."), after a relation noun ("my brother Luis", "my sponsor Dave",
  "Nurse Patel") and in signatures at the end of a post ("Cheers,\nMarek", "-E", "— Tom"). Words
  are told from names with real word lists (:mod:`.wordlists`): "I'm Tired", "Lurker here" and
  "my doctor Prescribed" are no names, nor are drugs named like people ("my friend Molly"). A
  bare name with no cue ("talked to Emily about it") is not found.
* PLACE covers towns, cities, counties and neighbourhoods (:mod:`.places`), from an offline
  gazetteer and context ("in X", "X, OH", "X County"); names that are also words or given names
  ("Mobile", "Austin") need context.
* Speed: the build scrubs thousands of posts per second on one core. Each rule runs only when a
  cheap test says it may match (a word of the post, a character such as "@"), patterns avoid
  case-insensitive and lookbehind-first forms that defeat the regex engine's fast search, and
  known names, relation nouns and gazetteer names are found by set and dictionary lookups of the
  post's words, not by a regex of all names. The gazetteer and word lists load once per process
  (about 2 s), when the first :class:`TextScrubber` is built.
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
    mentioned_handles,
)
from forum_anecdotes.schema import DELETED_AUTHOR

__all__ = [
    "DELETED_AUTHOR", "Replacement", "ScrubResult", "TextScrubber", "age_band", "coarsen_date",
    "is_distinctive_community_name", "mentioned_handles", "normalise_handle", "pseudonymise_author",
]
