"""``forum-anecdotes`` commands of the tagging stage: tag (new posts), tag-benchmark (throughput).

:func:`register` adds them to the ``forum-anecdotes`` command; :func:`main` runs one of them on
its own (the scripts ``scripts/tag_posts.py`` and ``scripts/benchmark_tagging.py`` call it).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from forum_anecdotes import paths
from forum_anecdotes.cli.common import UsageError
from forum_anecdotes.models.modes import MODES

#: Model folders are looked for here when --model is not given.
MODELS_DIR = paths.MODELS_DIR


def register(command) -> None:
    """Add this stage's subcommands (``command(name, run, help, example)`` makes one)."""
    tag = command("tag", _run_tag, "tag posts with the trained classifier (scores, labels, evidence per post)",
                  "forum-anecdotes tag posts.jsonl.zst --output tags.jsonl --skip-bad")
    tag.add_argument("input", metavar="INPUT",
                     help="JSONL (id and text per line), CSV with a header, or - for plain text on stdin "
                          "(one post per line); .gz and .zst are read as streams")
    tag.add_argument("--output", "-o", type=Path, required=True, help="the tagged records (JSONL or Parquet)")
    _model_arguments(tag)
    tag.add_argument("--text-column", default="text", help="field or CSV column of the text (default: text)")
    tag.add_argument("--id-column", default="id", help="field or CSV column of the post id, kept as it is (default: id)")
    tag.add_argument("--skip-bad", action="store_true", help="record bad lines in OUTPUT.rejects.jsonl and go on")
    tag.add_argument("--format", choices=("jsonl", "parquet"), help="output format (default: from OUTPUT's suffix)")
    tag.add_argument("--no-evidence", action="store_true",
                     help="leave evidence empty: skips scoring each sentence of posts with a positive label (faster)")
    tag.add_argument("--no-progress", action="store_true", help="no progress bar")
    tag.add_argument("--show", type=int, default=0, metavar="N",
                     help="print the first N tagged posts as a table (id, labels, scores, evidence)")

    bench = command("tag-benchmark", _run_benchmark,
                    "posts/s and tokens/s of the tagger (each mode) beside a plain transformers pipeline",
                    "forum-anecdotes tag-benchmark --input posts.jsonl --posts 500 --json bench.json")
    _model_arguments(bench, modes=False)
    bench.add_argument("--input", type=Path, help="posts to time (JSONL or CSV); default: generated posts")
    bench.add_argument("--posts", type=int, default=500, help="how many posts (default 500)")
    bench.add_argument("--text-column", default="text", help="field or CSV column of the text (default: text)")
    bench.add_argument("--id-column", default="id", help="field or CSV column of the post id (default: id)")
    bench.add_argument("--pipeline-batch-sizes", default="8,16,32,64",
                       help="batch sizes tried for the plain pipeline beside its default of 1 (default 8,16,32,64)")
    bench.add_argument("--repeats", type=int, default=3,
                       help="times each setting is timed; the table gives the median (default 3)")
    bench.add_argument("--json", type=Path, metavar="OUT", help="also write the figures to OUT as JSON (the model folder's benchmark.json: its card is "
                            "rendered again with them)")


def _model_arguments(parser: argparse.ArgumentParser, *, modes: bool = True) -> None:
    parser.add_argument("--model", type=Path, help=f"the model folder (default: the one model under {MODELS_DIR})")
    parser.add_argument("--batch-size", type=int, default=32, help="windows per forward pass (default 32)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the model runs (default cpu)")
    if modes:
        parser.add_argument("--mode", choices=MODES, default="fp32",
                            help="precision: fp32, onnx-fp32 (ONNX Runtime, CPU; same decisions, faster), int8 (torch's "
                                 "dynamic quantisation, CPU), onnx-int8 (ONNX Runtime, CPU; the fastest here) or bf16 "
                                 "(GPU, or a CPU with native bf16) (default fp32)")


def main(argv: Sequence[str] | None = None, *, command: str = "tag") -> int:
    """Run one command of this stage on its own, as ``forum-anecdotes COMMAND`` would (the scripts call this).

    Args:
        argv: the command's arguments (default: the process's, after the program name).
        command: "tag" or "tag-benchmark".

    Returns:
        The exit status (0 done, 1 bad input, 2 the command could not start).
    """
    from forum_anecdotes.cli import main as forum_anecdotes_main

    return forum_anecdotes_main([command, *(sys.argv[1:] if argv is None else argv)])


def find_model(model: Path | None) -> Path:
    """The model folder: ``model`` if given, else the only folder under :data:`MODELS_DIR` with a ``tagger.json``.

    Raises:
        UsageError: when there is none, or several to choose from.
    """
    from forum_anecdotes.models.spec import SPEC_FILE

    if model is not None:
        if not (model / SPEC_FILE).is_file():
            raise UsageError(f"--model {model}: no {SPEC_FILE} there; is it a model trained by forum-anecdotes?")
        return model
    found = sorted(p.parent for p in MODELS_DIR.glob(f"*/{SPEC_FILE}"))
    if len(found) != 1:
        where = "none" if not found else ", ".join(p.name for p in found)
        raise UsageError(f"--model: give the model folder (models with a {SPEC_FILE} under {MODELS_DIR}: {where})")
    return found[0]


def _load_tagger(args: argparse.Namespace, *, mode: str, evidence: bool = True):
    """The tagger for the command's model, device and mode; every problem as a one-line usage error."""
    from forum_anecdotes import keys
    from forum_anecdotes.models.tag import ModeUnavailable, Tagger

    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    try:
        return Tagger(find_model(args.model), device=args.device, mode=mode, batch_size=args.batch_size,
                      evidence=evidence)
    except (ModeUnavailable, keys.KeyTooShort) as e:
        raise UsageError(str(e)) from None
    except (OSError, ValueError) as e:
        raise UsageError(f"--model: cannot load the model: {e}") from None


def _run_tag(args: argparse.Namespace) -> int:
    from forum_anecdotes.io import BadInput
    from forum_anecdotes.models.tag import OutputError, print_summary, tag_file

    if args.input != "-" and not Path(args.input).is_file():
        raise UsageError(f"{args.input}: no such file")
    tagger = _load_tagger(args, mode=args.mode, evidence=not args.no_evidence)
    if tagger.ephemeral_key:
        print("note: no pseudonymisation key is configured; author pseudonyms in the output use a random key "
              "for this run (ids are kept as they are)", file=sys.stderr)
    try:
        run = tag_file(args.input, args.output, tagger=tagger, text_column=args.text_column, id_column=args.id_column,
                       skip_bad=args.skip_bad, fmt=args.format, progress=not args.no_progress)
    except BadInput as e:
        print(f"error: {e}", file=sys.stderr)
        print("(use --skip-bad to record bad lines in OUTPUT.rejects.jsonl and go on)", file=sys.stderr)
        return 1
    except OutputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print_summary(run, model=tagger.model_info)
    if args.show > 0:
        _show(args.output, args.show)
    return 0


def _show(output: Path, n: int) -> None:
    """Print the first ``n`` tagged posts of a JSONL output as a readable table."""
    import json

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"First tagged posts of {output}", show_lines=True)
    for column in ("id", "text", "labels", "scores", "evidence"):
        table.add_column(column, overflow="fold")
    with open(output, encoding="utf-8") as f:
        for _, line in zip(range(n), f):
            r = json.loads(line)
            text = (r.get("text") or "")[:160] + ("…" if len(r.get("text") or "") > 160 else "")
            scores = ", ".join(f"{k} {v:.2f}" for k, v in r["scores"].items())
            evidence = "\n".join(f"{k}: {v[:100]}" for k, v in (r.get("evidence") or {}).items())
            table.add_row(str(r.get("id")), text, ", ".join(r["labels"]) or "-", scores, evidence or "-")
    Console(width=160).print(table)


def _run_benchmark(args: argparse.Namespace) -> int:
    import json

    from forum_anecdotes.io import BadInput
    from forum_anecdotes.models import bench

    try:
        batch_sizes = sorted({int(b) for b in args.pipeline_batch_sizes.split(",") if b.strip()})
    except ValueError:
        raise UsageError(f"--pipeline-batch-sizes: expected numbers separated by commas, not {args.pipeline_batch_sizes!r}") from None
    if args.posts < 1 or args.batch_size < 1 or args.repeats < 1 or any(b < 1 for b in batch_sizes):
        raise UsageError("--posts, --batch-size, --repeats and the pipeline batch sizes must be at least 1")
    model = find_model(args.model)
    try:
        if args.input is not None:
            if not args.input.is_file():
                raise UsageError(f"--input {args.input}: no such file")
            posts = bench.load_posts(args.input, limit=args.posts, text_column=args.text_column, id_column=args.id_column)
        else:
            posts = bench.generated_posts(args.posts)
        report = bench.benchmark(model, posts, device=args.device, tagger_batch_size=args.batch_size,
                                 pipeline_batch_sizes=batch_sizes, text_field=args.text_column, id_field=args.id_column,
                                 repeats=args.repeats, progress=True)
    except BadInput as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot run the benchmark: {e}") from None
    bench.print_report(report)
    if args.json:
        from forum_anecdotes.io import atomic_write

        with atomic_write(args.json) as f:
            f.write(json.dumps(report, indent=2) + "\n")
        if args.json.resolve() == (model / "benchmark.json").resolve():
            from forum_anecdotes.models.card import write_model_card

            print(f"wrote {write_model_card(model)} with these figures")
    return 0
