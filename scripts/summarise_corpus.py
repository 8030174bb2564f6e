#!/usr/bin/env python
"""Load the published corpus (offline) and print its summary tables: `forum-anecdotes corpus`. See `--help`."""
import sys

from forum_anecdotes.cli import main

if __name__ == "__main__":
    sys.exit(main(["corpus", *sys.argv[1:]]))
