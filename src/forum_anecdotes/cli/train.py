"""``forum-anecdotes train``: fine-tune, calibrate and save the classifier (:mod:`forum_anecdotes.models.train`)."""
from __future__ import annotations

import argparse
from pathlib import Path

from forum_anecdotes import paths
from forum_anecdotes.cli.common import UsageError, load_key


def register(command) -> None:
    """Add the ``train`` subcommand (``command(name, run, help, example)`` makes one)."""
    train = command("train", _run_train,
                    "fine-tune the MiniLM classifier on the gold labels, calibrate it on validation, save it",
                    "forum-anecdotes train --raw-dir ../shared/data --out-dir models/minilm-anecdotes")
    train.add_argument("--out-dir", type=Path, default=paths.DEFAULT_MODEL_DIR, help="model folder to write (replaced whole)")
    train.add_argument("--raw-dir", type=Path, default=paths.raw_dir_from_env(),
                       help=f"raw sources, to re-attach withheld text (default: $FORUM_ANECDOTES_RAW_DIR or {paths.DEFAULT_RAW_DIR})")
    train.add_argument("--corpus-dir", type=Path, default=paths.CORPUS_DIR, help="the corpus folder")
    train.add_argument("--seed", type=int, default=13, help="random seed (default 13)")
    # None: train_model's default, chosen to fit about 20 minutes on 2 CPU cores
    train.add_argument("--epochs", type=int, help="passes over the training windows (default: the library's)")
    train.add_argument("--batch-size", type=int, help="windows per step (default: the library's)")
    train.add_argument("--lr", type=float, help="peak learning rate (default: the library's)")
    train.add_argument("--max-tokens", type=int, default=256, help="window length in tokens (default 256)")
    train.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when present, else cpu")
    train.add_argument("--threads", type=int, default=2, help="CPU threads for torch (default 2)")
    train.add_argument("--no-positive-weights", action="store_true",
                       help="plain masked BCE, without weighting each label's rarer positive class")
    train.add_argument("--no-psytar-sentences", action="store_true",
                       help="train on posts only, without PsyTAR's labelled sentences as extra examples")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")


def _run_train(args: argparse.Namespace) -> int:
    from forum_anecdotes.models.train import train_model

    if not args.raw_dir.is_dir():
        raise UsageError(f"--raw-dir {args.raw_dir}: no such folder (the raw sources re-attach withheld text)")
    if any(v is not None and v < 1 for v in (args.epochs, args.batch_size)) or args.max_tokens < 8:
        raise UsageError("--epochs and --batch-size must be at least 1, --max-tokens at least 8")
    key = load_key()
    chosen = {name: getattr(args, name) for name in ("epochs", "batch_size", "lr") if getattr(args, name) is not None}
    try:
        spec = train_model(out_dir=args.out_dir, raw_dir=args.raw_dir, key=key, corpus_dir=args.corpus_dir,
                           seed=args.seed, max_tokens=args.max_tokens, device=args.device,
                           num_threads=args.threads, progress=not args.no_progress,
                           weight_positives=not args.no_positive_weights,
                           psytar_sentences=not args.no_psytar_sentences, **chosen)
    except ValueError as e:
        raise UsageError(str(e)) from None
    print(f"wrote {args.out_dir} ({spec.name} {spec.version}): {spec.trained['train_posts']} train posts, "
          f"{spec.trained['psytar_sentences']} PsyTAR sentences, "
          f"{spec.trained['windows']} windows, {spec.trained['epochs']} epochs, {spec.trained['seconds']:.0f} s "
          f"on {spec.trained['device']}")
    print(format_validation(spec.metrics.get("validation", {})))
    return 0


def format_validation(report: dict) -> str:
    """The validation figures of :func:`forum_anecdotes.models.train.validation_report` as a table."""
    from forum_anecdotes.labels import LABEL_NAMES

    if not report:
        return "no validation posts: thresholds 0.5, no calibration"

    def cell(value, spec=".3f"):
        return "-" if value is None else format(value, spec)

    lines = [f"validation ({report['posts']} posts)",
             f"{'label':18} {'known':>5} {'pos':>4} {'T':>5} {'thr':>5} {'prec':>5} {'rec':>5} {'F1':>5} {'ECE':>11}"]
    for name in LABEL_NAMES:
        r = report[name]
        lines.append(f"{name:18} {r['known']:5d} {r['positive']:4d} {r['temperature']:5.2f} {r['threshold']:5.2f} "
                     f"{cell(r['precision'])} {cell(r['recall'])} {cell(r['f1'])} "
                     f"{cell(r['ece_before'])}>{cell(r['ece_after'])}")
    lines.append(f"pooled ECE {cell(report['ece_before'])} before calibration, {cell(report['ece_after'])} after")
    return "\n".join(lines)


def main(argv=None) -> int:
    """Run ``train`` alone (``python -m forum_anecdotes.cli.train``), before it is wired into the command.

    Returns:
        The exit status (2 for a usage error, as the command's).
    """
    import sys

    parser = argparse.ArgumentParser(prog="forum-anecdotes")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name, run, help, example):
        sub = commands.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}")
        sub.set_defaults(run=run)
        return sub

    register(command)
    args = parser.parse_args(["train", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.run(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
