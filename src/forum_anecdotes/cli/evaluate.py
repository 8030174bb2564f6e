"""``forum-anecdotes evaluate``: the model beside the baselines on the gold test split, as a report."""
from __future__ import annotations

import argparse
from pathlib import Path

from forum_anecdotes import paths
from forum_anecdotes.cli.common import UsageError, load_key


def register(command) -> None:
    """Add ``evaluate`` (``command(name, run, help, example)`` makes one)."""
    evaluate = command("evaluate", _run_evaluate,
                       "score the model and two baselines on the gold test split; write report.md/.json and plots",
                       "forum-anecdotes evaluate --model models/minilm-anecdotes --raw-dir ../shared/data")
    evaluate.add_argument("--model", type=Path, default=paths.DEFAULT_MODEL_DIR, help="the trained model's folder")
    evaluate.add_argument("--raw-dir", type=Path, default=paths.DEFAULT_RAW_DIR,
                          help="raw-data folder, to re-attach withheld text (needs the key)")
    evaluate.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (default 1000)")


def _run_evaluate(args: argparse.Namespace) -> int:
    from forum_anecdotes.models.evaluate import evaluate_model

    if not (args.model / "tagger.json").exists():
        raise UsageError(f"{args.model}: no trained model (tagger.json); train one with `forum-anecdotes train`")
    report = evaluate_model(model_dir=args.model, raw_dir=args.raw_dir, key=load_key(), n_boot=args.n_boot)
    from forum_anecdotes.models.card import write_model_card

    print(f"wrote {args.model / 'report.md'} ({report['n_posts']} test posts) and {write_model_card(args.model)}")
    for target in report.get("targets", []):
        print(f"  {target}")
    return 0
