"""``forum-anecdotes annotate ...``: batches, the labeling page, validation, agreement, adjudication, interop."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from forum_anecdotes import paths
from forum_anecdotes.cli.common import UsageError, load_key
from forum_anecdotes.schema import SPLITS

EXAMPLES = """examples:
  forum-anecdotes annotate batch --name b1 --size 100 --annotator ann-1 --annotator ann-2 --overlap 0.3
  forum-anecdotes annotate batch --name rt1 --size 50 --sources reddit_threads --raw-dir ../shared/data --annotator ann-1
  forum-anecdotes annotate batch --name hard1 --size 200 --splits train --strategy enriched_lexicon --focus ssri_withdrawal --annotator ann-1
  forum-anecdotes annotate serve --batch-dir .local/annotation/batches/b1
  forum-anecdotes annotate validate annotation/answers/b1/*.jsonl --batch-dir .local/annotation/batches/b1
  forum-anecdotes annotate agreement annotation/answers/b1
  forum-anecdotes annotate adjudicate annotation/answers --decisions annotation/decisions.jsonl
  forum-anecdotes annotate export --tool labelstudio --batch-dir .local/annotation/batches/b1 --out b1.json
  forum-anecdotes annotate import --tool prodigy db-out.jsonl --out annotation/answers/b1/prodigy.jsonl
"""


def register(commands) -> None:
    """Add ``annotate`` and its subcommands to the top-level subparsers."""
    group = commands.add_parser("annotate", help="annotation workflow: batches, labeling page, agreement, gold labels",
                                description="The annotation workflow on JSONL.", epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = group.add_subparsers(dest="annotate_command", required=True, metavar="STEP")

    def step(name, run, help):
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(run=run)
        return p

    batch = step("batch", _run_batch, "draw a batch of tasks from the corpus, one task file per annotator")
    batch.add_argument("--name", required=True, help="batch name, also the prefix of its task ids")
    batch.add_argument("--size", type=int, required=True, help="number of distinct posts")
    batch.add_argument("--annotator", action="append", required=True, help="an annotator's id (repeat for several)")
    batch.add_argument("--strategy", default="random", choices=("random", "stratified", "enriched_lexicon", "enriched_model"))
    batch.add_argument("--overlap", type=float, default=0.2, help="share of posts sent to several annotators (default 0.2)")
    batch.add_argument("--copies", type=int, default=2, help="annotators per overlapping post (default 2)")
    batch.add_argument("--seed", type=int, default=0)
    batch.add_argument("--labels", help="comma-separated labels the tasks ask (default: all five)")
    batch.add_argument("--focus", help="enriched_lexicon: comma-separated labels whose cue words draw posts")
    batch.add_argument("--drug-classes", help="draw only posts naming a substance of these classes (comma-separated)")
    batch.add_argument("--sources", help="comma-separated sources to draw from (default: all with text)")
    batch.add_argument("--splits", help="comma-separated splits to draw from (default: all); e.g. train, so that a "
                                        "batch drawn to help training leaves validation and test as they are")
    batch.add_argument("--raw-dir", type=Path, help="raw-data folder, to re-attach withheld text (needs the key)")
    batch.add_argument("--out-dir", type=Path, default=paths.LOCAL_DIR / "annotation" / "batches",
                       help="where the batch folder goes (default .local/annotation/batches: never committed)")
    batch.add_argument("--include-annotated", action="store_true",
                       help="also draw posts that already have answers in annotation/answers/")

    serve = step("serve", _run_serve, "serve the labeling page for a batch on this machine")
    serve.add_argument("--batch-dir", type=Path, required=True, help="the batch folder (tasks-<annotator>.jsonl)")
    serve.add_argument("--answers-dir", type=Path, help="where answers go (default annotation/answers/<batch>)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8765)

    validate = step("validate", _run_validate, "check answers files; exit 1 when any has an error")
    validate.add_argument("answers", nargs="+", type=Path, help="answers files (JSONL)")
    validate.add_argument("--batch-dir", type=Path, help="the batch folder, to check task and post ids")

    agreement = step("agreement", _run_agreement, "inter-annotator agreement per label, with bootstrap intervals")
    agreement.add_argument("answers", nargs="+", type=Path, help="answers files or folders of them")
    agreement.add_argument("--json", type=Path, metavar="OUT", help="also write the report as JSON")
    agreement.add_argument("--title", help="a title for the JSON report (e.g. 'Round 1, guide 1.0'), shown in the data card")
    agreement.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    agreement.add_argument("--seed", type=int, default=0)

    adjudicate = step("adjudicate", _run_adjudicate, "merge answers into gold labels by majority vote and decisions")
    adjudicate.add_argument("answers", nargs="+", type=Path, help="answers files or folders of them")
    adjudicate.add_argument("--decisions", type=Path, help="an adjudicator's decision file (JSONL); it wins over the vote")
    adjudicate.add_argument("--out", type=Path, default=paths.GOLD_LABELS, help=f"gold labels (default {paths.GOLD_LABELS})")
    adjudicate.add_argument("--review", type=Path, help="write the disagreements and ties for review (JSONL)")

    export = step("export", _run_export, "export a batch's tasks to an annotation tool's import format")
    export.add_argument("--tool", required=True, choices=_tools())
    export.add_argument("--batch-dir", type=Path, required=True)
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--config", type=Path, help="also write the tool's labeling configuration here")

    imported = step("import", _run_import, "import an annotation tool's export (or plain answers) as answers (JSONL)")
    imported.add_argument("--tool", required=True, choices=(*_tools(), "plain"),
                          help="plain: {task_id, labels, unclear, note} lines from a script or a language model")
    imported.add_argument("--batch-dir", type=Path, help="the batch folder (needed for --tool plain)")
    imported.add_argument("path", type=Path, help="the tool's export file")
    imported.add_argument("--out", type=Path, required=True, help="answers file to append to")
    imported.add_argument("--annotator", help="annotator id when the export names none")
    imported.add_argument("--agent", default="person", choices=("person", "language_model"))
    imported.add_argument("--agent-model", help="the language model's name, for --agent language_model")


def _tools() -> tuple[str, ...]:
    return ("doccano", "labelstudio", "prodigy", "argilla")


def _answer_files(items: list[Path]) -> list[Path]:
    files = []
    for item in items:
        if item.is_dir():
            files += sorted(item.rglob("*.jsonl"))
        elif item.is_file():
            files.append(item)
        else:
            raise UsageError(f"{item}: no such file or folder")
    if not files:
        raise UsageError(f"no answers file (*.jsonl) in {', '.join(map(str, items))}")
    return files


def read_answer_files(items: list[Path]) -> list[dict]:
    """Every answer and undo record of the files (folders are searched for ``*.jsonl``), checked first.

    Raises:
        UsageError: listing the errors of any file (``annotate validate`` shows them all).
    """
    from forum_anecdotes.annotation.validate import (
        format_problems,
        has_errors,
        validate_answers,
    )

    records = []
    for path in _answer_files(items):
        problems = validate_answers(path)
        if has_errors(problems):
            raise UsageError(f"{path} has errors; run `forum-anecdotes annotate validate {path}`:\n"
                             + format_problems([p for p in problems if p.level == "error"][:5]))
        records += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return records


def _run_batch(args: argparse.Namespace) -> int:
    from forum_anecdotes.annotation.batches import (
        BatchPlan,
        draw_posts,
        make_tasks,
        write_batch,
    )
    from forum_anecdotes.annotation.gold import (
        annotated_post_ids,
        corpus_frame,
        write_batch_index,
    )

    try:
        plan = BatchPlan(name=args.name, size=args.size, annotators=tuple(args.annotator), strategy=args.strategy,
                         overlap=args.overlap, copies=args.copies, seed=args.seed,
                         **({"labels": tuple(args.labels.split(","))} if args.labels else {}),
                         **({"focus": tuple(args.focus.split(","))} if args.focus else {}))
    except ValueError as e:
        raise UsageError(str(e)) from None
    key = load_key() if args.raw_dir else None
    corpus = corpus_frame(raw_dir=args.raw_dir, key=key)
    candidates = corpus[corpus["text"].notna()]
    if args.sources:
        wanted = set(args.sources.split(","))
        unknown = wanted - set(corpus["source"])
        if unknown:
            raise UsageError(f"--sources: no posts of {', '.join(sorted(unknown))} in the corpus")
        candidates = candidates[candidates["source"].isin(wanted)]
    if args.splits:
        wanted_splits = set(args.splits.split(","))
        if wanted_splits - set(SPLITS):
            raise UsageError(f"--splits: expected some of {', '.join(SPLITS)}, not {args.splits!r}")
        candidates = candidates[candidates["split"].isin(wanted_splits)]
    if args.drug_classes:
        wanted_classes = set(args.drug_classes.split(","))
        candidates = candidates[candidates["drug_classes"].map(lambda c: bool(wanted_classes & set(c)))]
    if not args.include_annotated:
        candidates = candidates[~candidates["post_id"].isin(annotated_post_ids())]
    try:
        chosen = draw_posts(candidates, plan)
        tasks = make_tasks(chosen, corpus, plan)
        folder = write_batch(tasks, plan, args.out_dir)
    except ValueError as e:
        raise UsageError(str(e)) from None
    index = write_batch_index(tasks, plan.name)  # committed: ids and how posts were chosen, no text
    summary = json.loads((folder / "batch.json").read_text(encoding="utf-8"))
    print(f"wrote {folder}: {summary['posts']} posts, tasks per annotator {summary['tasks']}"
          + (" (local only: holds text that may not be published)" if summary["local_only"] else ""))
    print(f"batch index (no text): {index}")
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    from forum_anecdotes.annotation.server import serve
    from forum_anecdotes.io import BadInput

    answers_dir = args.answers_dir or paths.ANSWERS_DIR / args.batch_dir.name
    try:
        serve(batch_dir=args.batch_dir, answers_dir=answers_dir, host=args.host, port=args.port)
    except BadInput as e:
        raise UsageError(str(e)) from None
    return 0


def _run_validate(args: argparse.Namespace) -> int:
    from forum_anecdotes.annotation.batches import read_tasks
    from forum_anecdotes.annotation.validate import (
        format_problems,
        has_errors,
        validate_answers,
    )

    try:
        tasks = read_tasks(args.batch_dir) if args.batch_dir else None
    except ValueError as e:
        raise UsageError(str(e)) from None
    failed = False
    for path in args.answers:
        problems = validate_answers(path, tasks=tasks)
        print(f"{path}: " + ("ok" if not problems else "\n" + format_problems(problems)))
        failed = failed or has_errors(problems)
    return 1 if failed else 0


def _run_agreement(args: argparse.Namespace) -> int:
    from forum_anecdotes.annotation.agreement import agreement_report, format_report

    report = agreement_report(read_answer_files(args.answers), n_boot=args.n_boot, seed=args.seed)
    if args.title:
        report = {"title": args.title, **report}
    print(format_report(report))
    if args.json:
        from forum_anecdotes.io import atomic_write

        with atomic_write(args.json) as f:
            f.write(json.dumps(report, indent=2) + "\n")
    return 0


def _run_adjudicate(args: argparse.Namespace) -> int:
    from forum_anecdotes.annotation.adjudicate import (
        adjudicate,
        disagreement_table,
        load_decisions,
    )
    from forum_anecdotes.annotation.gold import write_gold
    from forum_anecdotes.io import BadInput, write_jsonl_atomic

    try:
        decisions = load_decisions(args.decisions) if args.decisions else ()
    except (BadInput, OSError) as e:
        raise UsageError(str(e)) from None
    result = adjudicate(read_answer_files(args.answers), decisions=decisions)
    n_posts = write_gold(result, args.out, key_id=_corpus_key_id())
    print(f"wrote gold labels of {n_posts} posts to {args.out}; {len(result.disagreements)} disagreements, "
          f"{len(result.unresolved_ties)} unresolved ties")
    if args.review:
        write_jsonl_atomic(args.review, disagreement_table(result))
        print(f"review file: {args.review}")
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from forum_anecdotes.annotation.batches import read_tasks
    from forum_anecdotes.annotation.interop import TOOLS

    try:
        tasks = list(read_tasks(args.batch_dir).values())
    except ValueError as e:
        raise UsageError(str(e)) from None
    module = TOOLS[args.tool]
    n = module.export_tasks(tasks, args.out)
    print(f"wrote {n} tasks for {args.tool} to {args.out}")
    if args.config:
        args.config.write_text(module.labeling_config(), encoding="utf-8")
        print(f"labeling configuration: {args.config}")
    return 0


def _run_import(args: argparse.Namespace) -> int:
    from forum_anecdotes.annotation.interop import TOOLS, InteropError
    from forum_anecdotes.annotation.store import AnswerStore

    try:
        if args.tool == "plain":
            from forum_anecdotes.annotation.batches import read_tasks
            from forum_anecdotes.annotation.plain import import_plain

            if not args.batch_dir or not args.annotator:
                raise UsageError("--tool plain needs --batch-dir and --annotator")
            answers = import_plain(args.path, tasks=read_tasks(args.batch_dir), annotator=args.annotator,
                                   agent=args.agent, agent_model=args.agent_model)
        else:
            answers = TOOLS[args.tool].import_answers(args.path, annotator=args.annotator, agent=args.agent,
                                                      agent_model=args.agent_model)
    except (InteropError, ValueError, OSError) as e:
        raise UsageError(str(e)) from None
    store = AnswerStore(args.out)
    for answer in answers:
        store.append(answer)
    print(f"appended {len(answers)} answers to {args.out}", file=sys.stderr)
    return 0


def _corpus_key_id() -> str:
    """The id of the key the published corpus was built with (its build report says)."""
    report = json.loads(paths.BUILD_REPORT.read_text(encoding="utf-8"))
    if "key_id" not in report:
        raise UsageError(f"{paths.BUILD_REPORT} names no key; rebuild the corpus first")
    return report["key_id"]
