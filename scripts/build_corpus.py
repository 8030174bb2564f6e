#!/usr/bin/env python
"""Rebuild corpus/ and DATA_CARD.md from the raw sources. See `--help`."""
import sys

from forum_anecdotes.corpus.build import main

if __name__ == "__main__":
    sys.exit(main())
