#!/usr/bin/env python
"""Benchmark the streaming build on generated Pushshift-format input.

For each size, in a fresh process: (1) import + anonymisation alone (one core), then (2) the whole
build (import, anonymisation, tagging, deduplication, split, write). Prints posts/s and peak
memory (max RSS) of each, so that throughput and the flatness of memory can be read off.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(path: Path, stage: str, work: Path) -> dict:
    """Run one stage in this process and return its figures."""
    from forum_anecdotes.corpus import anonymise
    from forum_anecdotes.corpus.build import build_corpus
    from forum_anecdotes.corpus.importers.pushshift import import_pushshift
    from forum_anecdotes.corpus.sources import SourceSpec
    from forum_anecdotes.io import Rejects
    from forum_anecdotes.schema import Publish

    key = b"benchmark-key-not-secret-0123456789"
    start = time.perf_counter()
    if stage == "import+anonymise":
        scrubber = anonymise.TextScrubber()
        n = 0
        numbers: dict = {}
        for raw in import_pushshift(path, source="bench", rejects=Rejects()):
            anonymise.pseudonymise_author(raw.author, key=key)
            scrubber.scrub(raw.text, thread_names=(raw.author,) if raw.author else (), user_numbers=numbers)
            if raw.title:
                scrubber.scrub(raw.title, user_numbers=numbers)
            n += 1
    else:
        spec = SourceSpec(name="bench", importer="pushshift", path=str(path), publish=Publish.FULL_TEXT,
                          description="synthetic", origin="generated", licence="none")
        result = build_corpus(raw_dir=path.parent, key=key, sources=[spec], out_dir=work / "corpus",
                              data_card=None, work_dir=work / "build", progress=False)
        n = result.report["sources"]["bench"]["read"]
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"stage": stage, "posts": n, "seconds": round(seconds, 1), "posts_per_s": round(n / seconds), "peak_rss_mib": round(peak_mib)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1_000_000, help="largest input size")
    parser.add_argument("--sizes", help="comma-separated sizes (default: POSTS/10 and POSTS)")
    parser.add_argument("--zst", action="store_true", help="compress the generated input")
    parser.add_argument("--child", nargs=3, metavar=("PATH", "STAGE", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child[0]), args.child[1], Path(args.child[2]))))
        return 0
    from forum_anecdotes.corpus.synthetic import write_pushshift_sample

    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.posts // 10, args.posts]
    print(f"{'posts':>10} {'stage':<18} {'seconds':>8} {'posts/s':>9} {'peak RSS MiB':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            data = write_pushshift_sample(Path(tmp) / f"RS_{size}.ndjson", posts=size, seed=size, compress=args.zst)
            for stage in ("import+anonymise", "full build"):
                work = Path(tmp) / f"work-{size}"
                # taskset: one core, as the target says; a fresh process so that peak RSS is this stage's own
                cmd = [sys.executable, __file__, "--child", str(data), stage, str(work)]
                if os.path.exists("/usr/bin/taskset"):
                    cmd = ["taskset", "-c", "0", *cmd]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                r = json.loads(out.strip().splitlines()[-1])
                print(f"{r['posts']:>10,} {r['stage']:<18} {r['seconds']:>8} {r['posts_per_s']:>9,} {r['peak_rss_mib']:>13,}", flush=True)
            data.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
