#!/usr/bin/env python
"""Measure the anonymiser on the PII test set: recall and precision for each kind of identifier.

Prints a table (kind, gold, tp, fn, fp, recall, precision, target, ok). With --check, exits 1 when
a target of forum_anecdotes.corpus.pii_eval is missed; exits 2 when the test set cannot be read.
"""
import argparse
import json
import sys
from pathlib import Path

from forum_anecdotes.corpus import pii_eval


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--testset", type=Path, default=pii_eval.DEFAULT_TESTSET,
                        help=f"marked test set, JSON lines (default {pii_eval.DEFAULT_TESTSET})")
    parser.add_argument("--check", action="store_true", help="exit 1 when a recall or precision target is missed")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the scores to OUT as JSON")
    parser.add_argument("--errors", action="store_true", help="list every miss and false positive")
    parser.add_argument("--throughput", action="store_true",
                        help="also time the scrubber on 5,000 synthetic 600-character posts (one core)")
    args = parser.parse_args(argv)

    try:
        examples = pii_eval.load_testset(args.testset)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    scores = pii_eval.evaluate(examples)
    missed = pii_eval.missed_targets(scores)
    print(f"{len(examples)} examples from {args.testset}\n")
    print(pii_eval.format_table(scores))
    if args.errors:
        errors = [f"{kind:8} {e}" for kind, s in scores.items() for e in s.errors]
        print("\n" + ("\n".join(errors) if errors else "no misses and no false positives"))
    throughput = pii_eval.measure_throughput() if args.throughput else None
    if throughput:
        print(f"\nthroughput: {throughput['posts_per_s']:,.0f} posts/s "
              f"({throughput['posts']:,} posts of {throughput['mean_chars']:.0f} characters on average)")
    for line in missed:
        print(f"target missed: {line}", file=sys.stderr)
    if args.json:
        report = pii_eval.scores_to_json(scores, testset=args.testset, examples=len(examples))
        report["throughput"] = throughput
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
