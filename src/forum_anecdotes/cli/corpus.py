"""``forum-anecdotes`` commands of the corpus stage: corpus, key, build, pii-eval, lexicon-eval."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from forum_anecdotes import paths
from forum_anecdotes.cli.common import UsageError, load_key


def register(command) -> None:
    """Add this stage's subcommands (``command(name, run, help, example)`` makes one)."""
    corpus = command("corpus", _run_corpus, "load the published corpus (offline) and print its summary tables",
                     "forum-anecdotes corpus --raw-dir ../shared/data   # with withheld text re-attached")
    corpus.add_argument("--corpus-dir", type=Path, default=paths.CORPUS_DIR, help="the corpus folder")
    corpus.add_argument("--raw-dir", type=Path, help="your raw-data folder, to re-attach withheld text (needs the key)")

    key = command("key", _run_key, "create the local pseudonymisation key if there is none",
                  "forum-anecdotes key --path ~/.config/forum-anecdotes/pseudonym.key")
    key.add_argument("--path", type=Path, default=paths.KEY_FILE, help=f"where to write it (default {paths.KEY_FILE})")

    build = command("build", _run_build, "rebuild corpus/ and DATA_CARD.md from the raw sources",
                    "forum-anecdotes build --skip-bad --raw-dir ../shared/data")
    build.add_argument("--raw-dir", type=Path, default=paths.raw_dir_from_env(),
                       help=f"folder of raw sources (default: $FORUM_ANECDOTES_RAW_DIR or {paths.DEFAULT_RAW_DIR})")
    build.add_argument("--out-dir", type=Path, default=paths.CORPUS_DIR, help="corpus folder to write")
    build.add_argument("--data-card", type=Path, default=paths.DATA_CARD, help="where to write DATA_CARD.md")
    build.add_argument("--manifest", type=Path, action="append", default=[],
                       help="YAML manifest of extra sources (Pushshift, Discourse, generic JSONL/CSV); repeatable")
    build.add_argument("--sources", help="comma-separated source names to build (default: all)")
    build.add_argument("--no-builtin", action="store_true", help="build only the manifests' sources")
    build.add_argument("--skip-bad", action="store_true", help="record bad input in the rejects file and go on")
    build.add_argument("--work-dir", type=Path, help="folder for intermediates and rejects (default .local/build)")
    build.add_argument("--no-progress", action="store_true", help="no progress bars")

    command("card", _run_card, "render DATA_CARD.md and corpus/README.md again from corpus/build_report.json",
            "forum-anecdotes card   # after editing the card template or the annotation figures")

    pii = command("pii-eval", _run_pii_eval, "anonymiser recall and precision per identifier type on the PII test sets",
                  "forum-anecdotes pii-eval --check --errors")
    pii.add_argument("--testset", type=Path, action="append",
                     help="a marked test set, JSON lines (repeatable; default: both of tests/fixtures/pii/)")
    pii.add_argument("--check", action="store_true", help="exit 1 when a recall or precision target is missed")
    pii.add_argument("--json", type=Path, metavar="OUT", help="also write the scores to OUT as JSON")
    pii.add_argument("--errors", action="store_true", help="list every miss and false positive")
    pii.add_argument("--throughput", action="store_true",
                     help="also time the scrubber on 5,000 synthetic 600-character posts (one core)")

    lexicon = command("lexicon-eval", _run_lexicon_eval,
                      "precision and recall of the substance lexicon on the hand-read sample",
                      "forum-anecdotes lexicon-eval --errors")
    lexicon.add_argument("--sample", type=Path, default=paths.LEXICON_SAMPLE, help="the hand-read sample (JSON lines)")
    lexicon.add_argument("--errors", action="store_true", help="list every missed and spurious substance")
    lexicon.add_argument("--json", type=Path, metavar="OUT", help="also write the scores to OUT as JSON")


# --------------------------------------------------------------------------- corpus, key


def _run_corpus(args: argparse.Namespace) -> int:
    from forum_anecdotes.corpus.load import load_corpus
    from forum_anecdotes.corpus.summary import (
        corpus_summary,
        placeholder_table,
        print_table,
    )

    key = load_key() if args.raw_dir else None
    corpus = load_corpus(corpus_dir=args.corpus_dir, raw_dir=args.raw_dir, key=key)
    print(corpus)
    print_table("Posts and threads by source and split", corpus_summary(corpus))
    report_file = args.corpus_dir / "build_report.json"
    if report_file.exists():
        report = json.loads(report_file.read_text(encoding="utf-8"))
        print_table("Placeholders by type and source (build report)", placeholder_table(report))
    return 0


def _run_key(args: argparse.Namespace) -> int:
    from forum_anecdotes.keys import create_key_file

    if args.path.exists():
        print(f"a key already exists at {args.path}; keeping it (pseudonyms and ids depend on it)")
        return 0
    create_key_file(args.path)
    print(f"wrote a new key to {args.path}; keep it private and backed up, or set ${paths.KEY_ENV_VAR} instead")
    return 0


# --------------------------------------------------------------------------- build


def _run_build(args: argparse.Namespace) -> int:
    from forum_anecdotes import keys
    from forum_anecdotes.corpus.build import MissingSources, build_corpus, check_sources
    from forum_anecdotes.corpus.sources import (
        BUILTIN_SOURCES,
        ManifestError,
        load_manifest,
    )
    from forum_anecdotes.corpus.summary import print_build_summary
    from forum_anecdotes.gold import read_gold
    from forum_anecdotes.io import BadInput

    # Everything that can be checked is checked before the first record is read: a bad manifest,
    # an unknown source, a missing key or raw file never shows up after minutes of importing.
    specs = [] if args.no_builtin else list(BUILTIN_SOURCES)
    try:
        for manifest in args.manifest:
            specs.extend(load_manifest(manifest))
    except ManifestError as e:
        raise UsageError(str(e)) from None
    if args.sources:
        wanted = [name.strip() for name in args.sources.split(",") if name.strip()]
        unknown = sorted(set(wanted) - {s.name for s in specs})
        if unknown:
            raise UsageError(f"--sources: unknown source(s) {', '.join(unknown)}; known: {', '.join(s.name for s in specs)}")
        specs = [s for s in specs if s.name in wanted]
    if not specs:
        raise UsageError("no source to build (--no-builtin needs at least one --manifest)")
    key = load_key()
    try:
        read_gold(paths.GOLD_LABELS, key_id=keys.key_id(key))  # gold labels made for another key would name other posts
    except ValueError as e:
        raise UsageError(str(e)) from None
    try:
        check_sources(specs, args.raw_dir)
    except MissingSources as e:
        raise UsageError(str(e)) from None
    try:
        result = build_corpus(raw_dir=args.raw_dir, key=key, sources=specs, out_dir=args.out_dir,
                              data_card=args.data_card, work_dir=args.work_dir, skip_bad=args.skip_bad,
                              progress=not args.no_progress, gold_labels=paths.GOLD_LABELS)
    except BadInput as e:
        print(f"error: {e}", file=sys.stderr)
        print("(use --skip-bad to record bad input in the rejects file and go on)", file=sys.stderr)
        return 1
    print_build_summary(result.report)
    return 0


def _run_card(args: argparse.Namespace) -> int:
    from forum_anecdotes.corpus.card import write_card
    from forum_anecdotes.corpus.sources import BUILTIN_SOURCES

    report = json.loads(paths.BUILD_REPORT.read_text(encoding="utf-8"))
    write_card(report, sources=BUILTIN_SOURCES, paths_out=(paths.DATA_CARD, paths.CORPUS_DIR / "README.md"))
    print(f"wrote {paths.DATA_CARD} and {paths.CORPUS_DIR / 'README.md'}")
    return 0


# --------------------------------------------------------------------------- evaluations


def _run_pii_eval(args: argparse.Namespace) -> int:
    from forum_anecdotes.corpus import pii_eval

    testsets = args.testset or list(pii_eval.DEFAULT_TESTSETS)
    report, missed_any = {}, False
    for testset in testsets:
        try:
            examples = pii_eval.load_testset(testset)
        except (OSError, ValueError) as e:
            raise UsageError(f"{testset}: {e}") from None
        scores = pii_eval.evaluate(examples)
        targets = pii_eval.targets_for(testset)
        missed = pii_eval.missed_targets(scores, targets=targets)
        print(f"\n{len(examples)} examples from {testset}\n")
        print(pii_eval.format_table(scores, targets=targets))
        if args.errors:
            errors = [f"{kind:8} {e}" for kind, s in scores.items() for e in s.errors]
            print("\n" + ("\n".join(errors) if errors else "no misses and no false positives"))
        for line in missed:
            print(f"target missed on {testset.name}: {line}", file=sys.stderr)
        missed_any = missed_any or bool(missed)
        report[testset.name] = pii_eval.scores_to_json(scores, testset=testset, examples=len(examples))
    if args.throughput:
        throughput = pii_eval.measure_throughput()
        print(f"\nthroughput: {throughput['posts_per_s']:,.0f} posts/s "
              f"({throughput['posts']:,} posts of {throughput['mean_chars']:.0f} characters on average)")
        report["throughput"] = throughput
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 1 if args.check and missed_any else 0


def _run_lexicon_eval(args: argparse.Namespace) -> int:
    from forum_anecdotes.corpus import lexicon_eval

    try:
        sample = lexicon_eval.load_sample(args.sample)
    except (OSError, ValueError) as e:
        raise UsageError(f"{args.sample}: {e}") from None
    scores = lexicon_eval.evaluate(sample)
    print(f"{len(sample)} hand-read posts from {args.sample}\n")
    print(lexicon_eval.format_scores(scores))
    if args.errors:
        print("\n" + "\n".join(scores.errors or ["no misses and no spurious substances"]))
    if args.json:
        args.json.write_text(json.dumps(scores.to_json(), indent=2) + "\n", encoding="utf-8")
    return 0

