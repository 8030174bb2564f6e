#!/usr/bin/env python
"""Rebuild corpus/ and DATA_CARD.md from the raw sources: `forum-anecdotes build`. See `--help`."""
import sys

from forum_anecdotes.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
