#!/usr/bin/env python
"""Create the local pseudonymisation key (never committed) used by the build: `forum-anecdotes key`. See `--help`."""
import sys

from forum_anecdotes.cli import main

if __name__ == "__main__":
    sys.exit(main(["key", *sys.argv[1:]]))
