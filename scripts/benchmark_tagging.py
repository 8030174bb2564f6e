#!/usr/bin/env python
"""Tagger throughput (each precision mode, bf16 where native) beside a plain transformers pipeline: `forum-anecdotes tag-benchmark`.

    python scripts/benchmark_tagging.py --model models/NAME --input posts.jsonl --posts 500 --json bench.json
"""
import sys

from forum_anecdotes.cli.tag import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], command="tag-benchmark"))
