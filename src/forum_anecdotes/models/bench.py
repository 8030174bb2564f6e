"""How fast the tagger is, beside a plain ``transformers`` pipeline on the same model and the same posts.

One run measures, on the same posts:

* the plain pipeline, ``pipeline("text-classification", model=DIR, top_k=None, truncation=True)``,
  at its default settings (batch size 1) and at a few larger batch sizes (inputs in their given
  order, as a user would pass them);
* the :class:`~forum_anecdotes.models.tag.Tagger` in fp32 and int8, and bf16 where the machine runs
  it natively, with evidence off (the pipeline has none), and once more in fp32 with evidence (the
  tag command's full output).

What is compared. Each post is prepared once by the tagger's per-post pipeline (anonymisation) and
cut into the windows of ``tagger.json``; the plain pipeline reads exactly these window texts, so
both read the same tokens. The pipeline truncates at the tokenizer's limit and the tagger at the
spec's ``max_tokens``; they read the same tokens as long as every window fits ``max_tokens``
(``windows_over_max_tokens`` in the report says how many do not). The pipeline's per-window
probabilities are turned back into logits, pooled with max per post, calibrated and thresholded
as the tagger does: ``fp32_vs_pipeline`` says whether the labels are identical. The pipeline's
timings cover the model only (its windows are made beforehand); the tagger's cover the whole
``tag()`` call, the per-post pipeline and windowing included (``prep_seconds`` says how long that
part takes alone).

Figures: posts/s; real tokens/s (non-padding tokens the model read, per second); the padding share
(padding tokens over all tokens fed); the ratio of posts/s to the best plain-pipeline setting.
"""
from __future__ import annotations

import itertools
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from forum_anecdotes.io import Rejects
from forum_anecdotes.models.tag import FASTER_MODES, MODES, Counts, ModeUnavailable, Tagger, check_mode, read_posts


def load_posts(path: str | os.PathLike, *, limit: int, text_column: str = "text", id_column: str = "id") -> list[dict]:
    """The first ``limit`` posts of a JSONL or CSV file (a bad line raises, naming it).

    Args:
        path: the file (``.gz`` and ``.zst`` are read as streams).
        limit: how many posts.
        text_column, id_column: the text and id fields or columns.

    Returns:
        The records.
    """
    located = read_posts(path, text_column=text_column, id_column=id_column, rejects=Rejects())
    return [record for _, record in itertools.islice(located, limit)]


def generated_posts(n: int, *, seed: int = 0) -> list[dict]:
    """``n`` invented forum posts (``id`` and ``text``) from the project's synthetic data generator.

    Args:
        n: how many.
        seed: the same seed gives the same posts.

    Returns:
        The records.
    """
    from forum_anecdotes.corpus.synthetic import write_pushshift_sample

    with tempfile.TemporaryDirectory() as tmp:
        path = write_pushshift_sample(Path(tmp) / "posts.jsonl", posts=n, seed=seed)
        located = read_posts(path, rejects=Rejects())
        return [{"id": r["id"], "text": r.get("body") or r["selftext"]} for _, r in located]


def _padded_tokens(lengths: Sequence[int], batch_size: int) -> int:
    """Tokens fed, padding included, when inputs of these lengths are batched in order (padded to each batch's longest)."""
    return sum(len(batch) * max(batch) for batch in (lengths[i:i + batch_size] for i in range(0, len(lengths), batch_size)))


def _row(setting: str, batch_size: int, each: Sequence[float], *, posts: int, tokens: int, padded: int) -> dict[str, Any]:
    """One setting's figures from the median of its timed runs."""
    seconds = float(np.median(each))
    return {"setting": setting, "batch_size": batch_size, "seconds": seconds, "seconds_each": [float(x) for x in each],
            "posts_per_s": posts / seconds, "tokens_per_s": tokens / seconds,
            "padding_share": 1 - tokens / padded if padded else 0.0}


def timed_runs(report: dict[str, Any]) -> int | None:
    """How many runs each figure of a benchmark report is the median of (None: a report from before repeats)."""
    rows = report.get("rows") or []
    return len(rows[0]["seconds_each"]) if rows and "seconds_each" in rows[0] else None


def _note(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def benchmark(model_dir: str | os.PathLike, posts: Sequence[dict], *, device: str = "cpu", tagger_batch_size: int = 32,
              pipeline_batch_sizes: Sequence[int] = (8, 16, 32, 64), text_field: str = "text", id_field: str = "id",
              repeats: int = 3, progress: bool = False) -> dict[str, Any]:
    """Time the plain pipeline and the tagger on the same posts, and compare their labels (see the module docstring).

    Args:
        model_dir: the model folder.
        posts: the posts (records with an id and a text).
        device: "cpu" or "cuda".
        tagger_batch_size: the tagger's batch size.
        pipeline_batch_sizes: batch sizes tried for the plain pipeline beside its default (1).
        text_field, id_field: the text and id fields.
        repeats: times each setting is timed; its row gives the median (one run on a shared 2-core
            machine can be off by 10-15%), and ``seconds_each`` lists every run.
        progress: say on stderr what is being timed.

    Returns:
        The report: ``rows`` (one per setting: seconds, posts/s, tokens/s, padding share, ratio to
        the best pipeline setting), ``best_pipeline``, ``fp32_vs_pipeline``, ``<mode>_vs_fp32`` per faster mode,
        ``skipped`` modes with the reason, and the sizes of the input.

    Raises:
        BadInput: for a post the per-post pipeline rejects.
    """
    from transformers import pipeline

    if not posts:
        raise ValueError("no posts to time")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    fp32 = Tagger(model_dir, device=device, mode="fp32", batch_size=tagger_batch_size, evidence=False)
    spec = fp32.spec
    start = time.perf_counter()
    prepared = [fp32.prepare(p, text_field=text_field, id_field=id_field) for p in posts]
    owners, texts = [], []
    for i, post in enumerate(prepared):
        windows = fp32.windows(post.text)
        owners.extend([i] * len(windows))
        texts.extend(windows)
    prep_seconds = time.perf_counter() - start
    full_lengths = [len(ids) for ids in fp32.tokenizer(texts, return_attention_mask=False, return_token_type_ids=False)["input_ids"]]
    lengths = [min(n, fp32.max_tokens) for n in full_lengths]
    tokens = sum(lengths)
    n = len(posts)
    rows: list[dict[str, Any]] = []

    # the plain pipeline: model only, on the prepared windows, in their given order
    # in float32, as the tagger runs: the weights are stored in fp16, which is slow on CPU
    import torch

    pipe = pipeline("text-classification", model=str(model_dir), top_k=None, truncation=True, device=device,
                    dtype=torch.float32)
    pipe(texts[:4])  # warm-up: the first call pays one-off costs
    baseline = None
    for batch_size in [None, *[b for b in pipeline_batch_sizes if b != 1]]:
        name = "pipeline (default)" if batch_size is None else "pipeline"
        _note(progress, f"timing {name} batch size {batch_size or 1} on {len(texts):,} windows, {repeats}x")
        each = []
        for _ in range(repeats):
            start = time.perf_counter()
            outputs = pipe(texts) if batch_size is None else pipe(texts, batch_size=batch_size)
            each.append(time.perf_counter() - start)
        rows.append(_row(name, batch_size or 1, each, posts=n, tokens=tokens,
                         padded=_padded_tokens(lengths, batch_size or 1)))
        baseline = baseline if baseline is not None else outputs
    best = max(rows, key=lambda r: r["posts_per_s"])

    # the tagger, end to end
    results: dict[str, list[dict]] = {}
    skipped: dict[str, str] = {}
    for mode, evidence in [(m, False) for m in MODES] + [("fp32", True)]:
        try:
            check_mode(mode, device)
        except ModeUnavailable as e:
            skipped[mode] = str(e)
            continue
        tagger = fp32 if (mode, evidence) == ("fp32", False) else Tagger(
            model_dir, device=device, mode=mode, batch_size=tagger_batch_size, evidence=evidence)
        name = f"tagger {mode}" + (" + evidence" if evidence else "")
        _note(progress, f"timing {name} batch size {tagger_batch_size} on {n:,} posts, {repeats}x")
        list(tagger.tag(posts[:4], text_field=text_field, id_field=id_field))  # warm-up
        each = []
        for _ in range(repeats):
            tagger.counts = Counts()
            start = time.perf_counter()
            tagged = list(tagger.tag(posts, text_field=text_field, id_field=id_field))
            each.append(time.perf_counter() - start)
        rows.append(_row(name, tagger_batch_size, each, posts=n, tokens=tagger.counts.tokens,
                         padded=tagger.counts.padded_tokens))
        if not evidence:
            results[mode] = tagged
    for row in rows:
        row["vs_best_pipeline"] = row["posts_per_s"] / best["posts_per_s"]

    # labels: the pipeline's per-window probabilities, pooled and decided as the tagger does
    label_column = {label: j for j, label in enumerate(spec.labels)}
    window_logits = np.empty((len(texts), len(spec.labels)), dtype=np.float64)
    for w, scores in enumerate(baseline):
        for item in scores:
            p = min(max(item["score"], 1e-12), 1 - 1e-12)
            window_logits[w, label_column[item["label"]]] = math.log(p) - math.log1p(-p)
    pooled = np.full((n, len(spec.labels)), -np.inf)
    np.maximum.at(pooled, np.asarray(owners), window_logits)
    pipeline_labels = [fp32.decide(row)[1] for row in pooled]
    report = {
        "model": fp32.model_info, "device": device, "posts": n, "windows": len(texts), "real_tokens": tokens,
        "windows_over_max_tokens": sum(length > fp32.max_tokens for length in full_lengths),
        "max_tokens": fp32.max_tokens, "torch_threads": _torch_threads(), "prep_seconds": prep_seconds,
        "rows": rows, "best_pipeline": f"{best['setting']} batch size {best['batch_size']}",
        "fp32_vs_pipeline": _compare(pipeline_labels, [r["labels"] for r in results["fp32"]], spec.labels),
        "skipped": skipped,
    }
    for mode in FASTER_MODES:
        if mode in results:
            report[f"{mode}_vs_fp32"] = _compare([r["labels"] for r in results["fp32"]],
                                                 [r["labels"] for r in results[mode]], spec.labels)
    return report


def _compare(a: Sequence[Sequence[str]], b: Sequence[Sequence[str]], labels: Sequence[str]) -> dict[str, Any]:
    """How two label assignments of the same posts differ: identical posts, and changed label decisions."""
    changed = sum(len(set(x) ^ set(y)) for x, y in zip(a, b))
    same_posts = sum(set(x) == set(y) for x, y in zip(a, b))
    decisions = len(a) * len(labels)
    return {"identical": changed == 0, "identical_posts": same_posts, "posts": len(a), "changed_decisions": changed,
            "decisions": decisions, "changed_share": changed / decisions if decisions else 0.0}


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def print_report(report: dict[str, Any], console=None) -> None:
    """Print a benchmark report: one table row per setting, then the label comparisons.

    Args:
        report: as :func:`benchmark` returns it.
        console: a rich Console (default: stdout).
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=160)
    table = Table(title=f"Tagging throughput: {report['posts']:,} posts, {report['windows']:,} windows, "
                        f"{report['real_tokens']:,} real tokens, {report['device']}, {report['torch_threads']} threads"
                        + (f", median of {timed_runs(report)} runs" if timed_runs(report) else ""))
    for column in ("setting", "batch size", "seconds", "posts/s", "real tokens/s", "padding", "x best pipeline"):
        table.add_column(column, justify="left" if column == "setting" else "right")
    for r in report["rows"]:
        table.add_row(r["setting"], str(r["batch_size"]), f"{r['seconds']:.2f}", f"{r['posts_per_s']:,.1f}",
                      f"{r['tokens_per_s']:,.0f}", f"{r['padding_share']:.1%}", f"{r['vs_best_pipeline']:.2f}")
    console.print(table)
    console.print(f"Best plain-pipeline setting: {report['best_pipeline']}. The tagger's times include the per-post "
                  f"pipeline and windowing ({report['prep_seconds']:.2f} s of them alone); the plain pipeline reads the "
                  f"same windows, made beforehand ({report['windows_over_max_tokens']} over {report['max_tokens']} tokens).")
    c = report["fp32_vs_pipeline"]
    console.print(f"fp32 labels identical to the plain pipeline's thresholded labels: {'yes' if c['identical'] else 'no'} "
                  f"({c['identical_posts']:,} of {c['posts']:,} posts identical, {c['changed_decisions']:,} label "
                  f"decisions differ)")
    for mode in FASTER_MODES:
        c = report.get(f"{mode}_vs_fp32")
        if c is not None:
            console.print(f"{mode} vs fp32: {c['changed_share']:.2%} of label decisions changed "
                          f"({c['changed_decisions']:,} of {c['decisions']:,}; {c['posts'] - c['identical_posts']:,} posts)")
    for mode, reason in report["skipped"].items():
        console.print(f"{mode} not measured: {reason}")
