#!/usr/bin/env python
"""Measure the anonymiser on the PII test sets: recall and precision for each kind of identifier.

Prints one table per test set (kind, gold, tp, fn, fp, recall, precision, target, ok): by default
set 1 (written with the rules) and set 2 (realistic posts, held out). --testset chooses others
(repeatable). With --check, exits 1 when a target of forum_anecdotes.corpus.pii_eval is missed on
any set; exits 2 when a test set cannot be read.
"""
import argparse
import json
import sys
from pathlib import Path

from forum_anecdotes.corpus import pii_eval


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--testset", type=Path, action="append",
                        help="marked test set, JSON lines; repeatable (default: "
                             + ", ".join(str(p) for p in pii_eval.DEFAULT_TESTSETS) + ")")
    parser.add_argument("--check", action="store_true", help="exit 1 when a recall or precision target is missed")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the scores to OUT as JSON")
    parser.add_argument("--errors", action="store_true", help="list every miss and false positive")
    parser.add_argument("--throughput", action="store_true",
                        help="also time the scrubber on 5,000 synthetic 600-character posts (one core)")
    args = parser.parse_args(argv)

    testsets = args.testset or list(pii_eval.DEFAULT_TESTSETS)
    loaded = []
    for testset in testsets:
        try:
            loaded.append((testset, pii_eval.load_testset(testset)))
        except (OSError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    reports, missed_all = [], []
    for i, (testset, examples) in enumerate(loaded):
        scores = pii_eval.evaluate(examples)
        targets = pii_eval.targets_for(testset)
        missed = pii_eval.missed_targets(scores, targets=targets)
        print(("" if i == 0 else "\n") + f"{len(examples)} examples from {testset}\n")
        print(pii_eval.format_table(scores, targets=targets))
        if args.errors:
            errors = [f"{kind:8} {e}" for kind, s in scores.items() for e in s.errors]
            print("\n" + ("\n".join(errors) if errors else "no misses and no false positives"))
        missed_all += [f"{line} ({testset.name})" for line in missed]
        reports.append(pii_eval.scores_to_json(scores, testset=testset, examples=len(examples), targets=targets))
    throughput = pii_eval.measure_throughput() if args.throughput else None
    if throughput:
        print(f"\nthroughput: {throughput['posts_per_s']:,.0f} posts/s "
              f"({throughput['posts']:,} posts of {throughput['mean_chars']:.0f} characters on average)")
    for line in missed_all:
        print(f"target missed: {line}", file=sys.stderr)
    if args.json:
        report = {"testsets": reports, "missed_targets": missed_all, "throughput": throughput}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 1 if args.check and missed_all else 0


if __name__ == "__main__":
    sys.exit(main())
