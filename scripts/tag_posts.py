#!/usr/bin/env python
"""Tag posts with the trained classifier: `forum-anecdotes tag`. See `--help`.

    python scripts/tag_posts.py posts.jsonl.zst --output tags.jsonl [--batch-size N] [--device cpu|cuda]
        [--model DIR] [--text-column C] [--id-column C] [--skip-bad] [--format jsonl|parquet] [--mode fp32|int8|bf16]
"""
import sys

from forum_anecdotes.cli.tag import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], command="tag"))
