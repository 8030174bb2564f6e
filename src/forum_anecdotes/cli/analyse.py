"""``forum-anecdotes analyse``: prevalence of each label in a collection of posts (:mod:`forum_anecdotes.analysis`)."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from forum_anecdotes import paths
from forum_anecdotes.cli.common import UsageError, load_key


def register(command) -> None:
    """Add the ``analyse`` subcommand (``command(name, run, help, example)`` makes one)."""
    from forum_anecdotes.cli.tag import _model_arguments

    analyse = command(
        "analyse", _run_analyse,
        "tag a collection of posts and report each label's prevalence (raw and corrected for the model's error, "
        "with 95%% intervals) overall, by year, month, group and substance class; aggregates only",
        "forum-anecdotes analyse ../shared/data/reddit_threads/opiates --importer opiates_submissions "
        "--corpus-source reddit_threads --out analysis/opiates_submissions --mode int8 [--engine ray]")
    analyse.add_argument("input", metavar="INPUT", nargs="?",
                         help="a file the tag command reads (JSONL, CSV, text; .gz/.zst), a folder of them, or a raw "
                              "source's path with --importer")
    analyse.add_argument("--out", type=Path, required=True, help="the report folder (report.md, CSV, PNG)")
    analyse.add_argument("--tags-dir", type=Path,
                         help=f"where the Parquet tags go (ids, months, substances, scores, labels; no text; default "
                              f"{paths.LOCAL_DIR.name}/analysis/<OUT name>/tags: they may hold a source's own ids, "
                              "which stay local)")
    analyse.add_argument("--engine", choices=("local", "ray"), default="local",
                         help="local: one process; ray: Ray Data (RAY_ADDRESS joins a cluster, else a local one starts)")
    analyse.add_argument("--ray-actors", type=int, help="model actors in the Ray pool (default: one per 2 CPUs)")
    analyse.add_argument("--ray-actor-cpus", type=float, help="CPUs per actor (default: leaves 0.5 CPU to reading and writing)")
    _model_arguments(analyse)
    analyse.add_argument("--text-column", default="text", help="field or CSV column of the text (default: text)")
    analyse.add_argument("--id-column", default="id", help="field or CSV column of the post id (default: id)")
    analyse.add_argument("--time-column", default="created",
                         help="field with the post's date, ISO 8601 or Unix seconds (default: created)")
    analyse.add_argument("--group-column", help="field naming the post's community or source (default: the file name)")
    analyse.add_argument("--importer", help="read INPUT with this corpus importer (e.g. opiates_submissions)")
    analyse.add_argument("--corpus-source",
                         help="the corpus source whose own ids the input's ids are (e.g. reddit_threads; 'corpus' for "
                              "the corpus's published ids): posts that have gold labels in the corpus are compared "
                              "with them (a source's ids need the project's key)")
    analyse.add_argument("--gold-splits", default="validation,test",
                         help="gold splits to compare with (default validation,test: held out from training)")
    analyse.add_argument("--skip-bad", action="store_true", help="record bad lines in TAGS_DIR.rejects.jsonl and go on")
    analyse.add_argument("--tags-only", action="store_true", help="do not tag: report on an existing tag folder")
    analyse.add_argument("--min-posts", type=int, default=30, help="cells with fewer posts are marked small (default 30)")
    analyse.add_argument("--min-positives", type=int, default=5,
                         help="cells with fewer tagged posts are marked small (default 5)")
    analyse.add_argument("--n-draws", type=int, default=4000, help="bootstrap draws per cell (default 4000)")
    analyse.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    analyse.add_argument("--no-progress", action="store_true", help="no progress bar")

    bench = command("analyse-benchmark", _run_benchmark,
                    "posts/s and peak memory of the analysis engines (local, ray) on the same posts; checks their tags agree",
                    "forum-anecdotes analyse-benchmark --posts 2000 --mode int8 --json bench.json")
    bench.add_argument("--input", type=Path, help="posts to analyse (as analyse reads them); default: generated posts")
    bench.add_argument("--posts", type=int, default=2000, help="generated posts when no --input (default 2000)")
    bench.add_argument("--importer", help="read --input with this corpus importer")
    bench.add_argument("--text-column", default="text", help="field or CSV column of the text (default: text)")
    bench.add_argument("--id-column", default="id", help="field or CSV column of the post id (default: id)")
    bench.add_argument("--engines", default="local,ray", help="engines to run, in order (default local,ray)")
    bench.add_argument("--ray-actors", type=int, help="model actors in the Ray pool (default: one per 2 CPUs)")
    bench.add_argument("--work-dir", type=Path, default=paths.LOCAL_DIR / "analysis-benchmark",
                       help="where the tag folders and generated posts go")
    bench.add_argument("--json", type=Path, metavar="OUT", help="also write the figures to OUT as JSON")
    bench.add_argument("--no-progress", action="store_true", help="no progress bar")
    _model_arguments(bench)


def _run_analyse(args: argparse.Namespace) -> int:
    from forum_anecdotes.analysis.inputs import InputOptions
    from forum_anecdotes.analysis.run import WrongModel, analyse, gold_values
    from forum_anecdotes.analysis.tags import CORPUS_IDS
    from forum_anecdotes.cli.tag import find_model
    from forum_anecdotes.corpus.sources import BUILTIN_SOURCES
    from forum_anecdotes.io import BadInput
    from forum_anecdotes.models.tag import ModeUnavailable, check_mode

    if args.input is None and not args.tags_only:
        raise UsageError("give INPUT, or --tags-only to report on an existing tag folder")
    if args.input is not None and not args.tags_only and not Path(args.input).exists():
        raise UsageError(f"{args.input}: no such file or folder")
    if args.importer is not None:
        from forum_anecdotes.corpus.importers import IMPORTERS

        if args.importer not in IMPORTERS:
            raise UsageError(f"--importer {args.importer}: unknown; the importers are {', '.join(sorted(IMPORTERS))}")
    if min(args.batch_size, args.min_posts, args.n_draws) < 1 or args.min_positives < 0:
        raise UsageError("--batch-size, --min-posts and --n-draws must be at least 1, --min-positives at least 0")
    if args.ray_actors is not None and args.ray_actors < 1:
        raise UsageError("--ray-actors must be at least 1")
    try:
        check_mode(args.mode, args.device)
    except ModeUnavailable as e:
        raise UsageError(str(e)) from None
    model = find_model(args.model)
    if not (model / "report.json").is_file():
        raise UsageError(f"{model}: no report.json; run forum-anecdotes evaluate first (the correction needs the "
                         "model's measured error rates)")
    key, gold, public_ids = None, None, False
    if args.corpus_source is not None:
        specs = {s.name: s for s in BUILTIN_SOURCES}
        if args.corpus_source != CORPUS_IDS:
            if args.corpus_source not in specs:
                raise UsageError(f"--corpus-source {args.corpus_source}: not a corpus source "
                                 f"({', '.join([CORPUS_IDS, *specs])})")
            public_ids = specs[args.corpus_source].public_ids
            key = None if public_ids else load_key()
        splits = [s.strip() for s in args.gold_splits.split(",") if s.strip()]
        try:
            gold = gold_values(splits=splits)
        except FileNotFoundError as e:
            raise UsageError(str(e)) from None
    tags_dir = args.tags_dir or paths.LOCAL_DIR / "analysis" / args.out.name / "tags"
    options = InputOptions(text_column=args.text_column, id_column=args.id_column, time_column=args.time_column or None,
                           group_column=args.group_column, importer=args.importer)
    command = "forum-anecdotes " + shlex.join(getattr(args, "argv", None) or ["analyse"])
    try:
        result = analyse(args.input or "", out_dir=args.out, tags_dir=tags_dir, model_dir=model, options=options,
                         engine=args.engine, mode=args.mode, batch_size=args.batch_size, skip_bad=args.skip_bad,
                         corpus_source=args.corpus_source, public_ids=public_ids, key=key, gold=gold,
                         tags_only=args.tags_only, min_posts=args.min_posts, min_positives=args.min_positives,
                         n_draws=args.n_draws, seed=args.seed, command=command, progress=not args.no_progress,
                         ray_actors=args.ray_actors, ray_actor_cpus=args.ray_actor_cpus)
    except BadInput as e:
        print(f"error: {e}", file=sys.stderr)
        print("(use --skip-bad to record bad lines in TAGS_DIR.rejects.jsonl and go on)", file=sys.stderr)
        return 1
    except (FileNotFoundError, WrongModel) as e:
        raise UsageError(str(e)) from None
    _print_summary(result, out_dir=args.out)
    return 0


def _print_summary(result, *, out_dir: Path) -> None:
    """The overall prevalence per label, and where everything was written."""
    import pandas as pd
    from rich.console import Console

    from forum_anecdotes.corpus.summary import print_table

    table = pd.read_csv(out_dir / "prevalence.csv")
    overall = table[table["dimension"] == "overall"].set_index("label")
    frame = pd.DataFrame({
        "tagged": [f"{r.raw:.1%} [{r.raw_low:.1%}, {r.raw_high:.1%}]" for r in overall.itertuples()],
        "corrected": ["-" if pd.isna(r.corrected) else
                      f"{r.corrected:.1%} [{r.corrected_low:.1%}, {r.corrected_high:.1%}]" for r in overall.itertuples()],
    }, index=overall.index)
    console = Console(width=160)
    print_table(f"Prevalence in {result.posts:,} posts (95% intervals)", frame, console)
    console.print(f"Report: {out_dir / 'report.md'}; tags: {result.tags_dir}; {result.seconds:.0f} s")
    if result.rejects.total or result.rejects.skipped:
        console.print(f"Rejected {result.rejects.total:,} bad line(s); passed over "
                      f"{sum(result.rejects.skipped.values()):,} post(s) (repeats, site furniture)")


def _run_benchmark(args: argparse.Namespace) -> int:
    import json

    from rich.console import Console
    from rich.table import Table

    from forum_anecdotes.analysis.bench import benchmark_engines, write_generated_posts
    from forum_anecdotes.analysis.engines import ENGINES, TagJob
    from forum_anecdotes.analysis.inputs import InputOptions
    from forum_anecdotes.cli.tag import find_model
    from forum_anecdotes.io import atomic_write

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not engines or any(e not in ENGINES for e in engines):
        raise UsageError(f"--engines: a list of {', '.join(ENGINES)}, not {args.engines!r}")
    if args.posts < 1 or args.batch_size < 1:
        raise UsageError("--posts and --batch-size must be at least 1")
    model = find_model(args.model)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    if args.input is not None:
        if not args.input.exists():
            raise UsageError(f"--input {args.input}: no such file or folder")
        source, importer = args.input, args.importer
    else:
        source = args.work_dir / f"generated-{args.posts}.jsonl.zst"
        if not source.exists():  # generated once per size (1,000,000 posts take a minute)
            source = write_generated_posts(args.work_dir / f"generated-{args.posts}.jsonl", args.posts)
        importer = "pushshift"
    options = InputOptions(text_column=args.text_column, id_column=args.id_column, importer=importer)
    job = TagJob(model_dir=model, mode=args.mode, batch_size=args.batch_size)
    report = benchmark_engines(source, options=options, job=job, work_dir=args.work_dir, engines=engines,
                               ray_actors=args.ray_actors, progress=not args.no_progress)
    report |= {"input": str(source), "model": str(model), "mode": args.mode, "cpus": _cpus()}
    table = Table(title=f"Analysis engines on {source} ({args.mode}, {report['cpus']} CPUs)")
    for column in ("engine", "posts", "seconds", "posts/s", "driver peak MiB", "tree peak MiB", "driver growth"):
        table.add_column(column, justify="right")
    for row in report["engines"]:
        table.add_row(row["engine"], f"{row['posts']:,}", f"{row['seconds']:.1f}", f"{row['posts_per_s']:.1f}",
                      f"{row['driver_peak_mib']:.0f}", f"{row['tree_peak_mib']:.0f}", f"{row['driver_growth']:.3f}")
    console = Console(width=160)
    console.print(table)
    agreement = report["agreement"]
    if agreement is not None:
        console.print(f"Tags of {engines[0]} and {engines[1]}: same ids {agreement['same_ids']}, labels identical "
                      f"{agreement['labels_identical']}, largest score difference {agreement['max_score_difference']}")
    if args.json:
        with atomic_write(args.json) as f:
            f.write(json.dumps(report, indent=2) + "\n")
    return 0


def _cpus() -> int:
    from forum_anecdotes.analysis.engines import cpu_count

    return cpu_count()
