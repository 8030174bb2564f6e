#!/usr/bin/env python
"""Posts/s and peak memory of the analysis engines, local and Ray: `forum-anecdotes analyse-benchmark`.

    python scripts/benchmark_analysis.py [--posts N | --input FILE] [--engines local,ray] [--mode int8] [--json OUT]
"""
import sys

from forum_anecdotes.cli import main

if __name__ == "__main__":
    sys.exit(main(["analyse-benchmark", *sys.argv[1:]]))
