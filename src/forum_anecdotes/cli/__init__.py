"""The ``forum-anecdotes`` command: one subcommand per job, each a thin layer over a library function.

Argument parsing lives here and only here: the library's functions take keyword arguments and
raise exceptions; this module turns those into exit statuses and one-line messages. The scripts in
``scripts/`` and the Make targets call :func:`main` with their subcommand.

Exit statuses: 0 done, 1 the job ran and found a problem (bad input, a missed target), 2 the
command could not start (bad arguments, a bad manifest, no key, missing sources).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from forum_anecdotes.cli import analyse, annotate, corpus, evaluate, tag, train
from forum_anecdotes.cli.common import UsageError

EXAMPLES = """examples:
  forum-anecdotes corpus                      # load the published corpus, print its summary
  forum-anecdotes key                         # once: create the local pseudonymisation key
  forum-anecdotes build --skip-bad            # rebuild corpus/ and DATA_CARD.md from ../shared/data
  forum-anecdotes build --manifest more.yaml  # ... plus the sources a manifest declares
  forum-anecdotes pii-eval --check            # anonymiser recall and precision on both PII test sets
  forum-anecdotes lexicon-eval                # substance lexicon precision and recall on the hand-read sample
  forum-anecdotes annotate batch --name b1 --size 100 --annotator ann-1 --annotator ann-2
  forum-anecdotes annotate serve --batch-dir .local/annotation/batches/b1
  forum-anecdotes annotate validate annotation/answers/b1/ann-1.jsonl
  forum-anecdotes train                       # fine-tune the classifier on the gold labels (CPU: ~20 min)
  forum-anecdotes evaluate                    # the model beside two baselines on the test split
  forum-anecdotes tag posts.jsonl --output tagged.jsonl
  forum-anecdotes analyse posts.jsonl --out analysis/my_posts   # prevalence report (--engine ray to scale out)
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``forum-anecdotes`` with ``argv`` (default: the process's arguments).

    Returns:
        The exit status.
    """
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # quoted by commands whose reports say how they were made
    try:
        return args.run(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forum-anecdotes",
        description="Forum-post anecdote corpus and toolkit for harm-reduction research.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], help: str, example: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(run=run)
        return sub

    corpus.register(command)
    annotate.register(commands)
    train.register(command)
    evaluate.register(command)
    tag.register(command)
    analyse.register(command)
    return parser


if __name__ == "__main__":
    sys.exit(main())
