#!/usr/bin/env python
"""Load the published corpus (offline) and print its summary: posts and threads by source and split."""
import argparse
import json
import sys
from pathlib import Path

from forum_anecdotes import paths
from forum_anecdotes.corpus.load import load_corpus
from forum_anecdotes.corpus.summary import corpus_summary, placeholder_table, print_table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus-dir", type=Path, default=paths.CORPUS_DIR)
    parser.add_argument("--psytar-workbook", type=Path, help="your copy of PsyTAR_dataset.xlsx, to re-attach its text")
    args = parser.parse_args()
    corpus = load_corpus(corpus_dir=args.corpus_dir, psytar_workbook=args.psytar_workbook)
    print(corpus)
    print_table("Posts and threads by source and split", corpus_summary(corpus))
    report_file = args.corpus_dir / "build_report.json"
    if report_file.exists():
        print_table("Placeholders by type and source (build report)", placeholder_table(json.loads(report_file.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
