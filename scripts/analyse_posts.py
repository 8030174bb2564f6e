#!/usr/bin/env python
"""Prevalence report of a collection of posts: `forum-anecdotes analyse`. See `--help`.

    python scripts/analyse_posts.py INPUT --out REPORT_DIR [--engine local|ray] [--importer NAME]
        [--corpus-source SOURCE] [--mode fp32|int8] [--skip-bad] [--tags-only]
"""
import sys

from forum_anecdotes.cli import main

if __name__ == "__main__":
    sys.exit(main(["analyse", *sys.argv[1:]]))
