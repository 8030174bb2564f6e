"""The corpus build: raw sources in, an anonymised, deduplicated, split corpus out.

Two streaming passes, so memory does not grow with the amount of text:

1. Every source is imported, checked, anonymised and tagged post by post. Each post is written at
   once to a local intermediate file (``.local/build/``, never published) and leaves behind only
   a fixed-width row of numbers: id, parent and thread keys, time, order, whether it mentions a
   substance, its duplicate fingerprints and its thread's split and sampling draws.
2. From those numbers alone the build decides which posts are duplicates, which threads are kept
   (substance mentions, plus a documented sample of the rest as negatives), each post's position
   in its thread and each thread's split. Then it streams the intermediates once more into the
   split files.

The output is staged beside the corpus folder and swapped into place only when complete, so a
crash never leaves a half-written corpus.
"""
from __future__ import annotations

import array
import collections
import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from forum_anecdotes import keys, paths
from forum_anecdotes.corpus import card, dedup, split
from forum_anecdotes.corpus.plots import plot_composition
from forum_anecdotes.corpus.process import ProcessedPost, process_source
from forum_anecdotes.corpus.sources import BUILTIN_SOURCES, SourceSpec
from forum_anecdotes.corpus.summary import THREADS_LINKED, linked_thread_counts
from forum_anecdotes.gold import external_agreement, external_and_annotated, gold_counts, gold_row, read_gold
from forum_anecdotes.ids import id_key64
from forum_anecdotes.io import MAX_POST_BYTES, Rejects, atomic_write
from forum_anecdotes.schema import (
    PLACEHOLDER_KINDS,
    SPLITS,
    Publish,
    Selection,
    features,
)

SELECTION_CODES = (Selection.SUBSTANCE_MENTION, Selection.THREAD_CONTEXT, Selection.NEGATIVE_SAMPLE)


class MissingSources(RuntimeError):
    """Raised when raw sources are absent; the message says where to obtain each."""


@dataclasses.dataclass
class _Columns:
    """The fixed-width numbers pass 1 keeps per post (about 130 bytes, whatever the text length)."""

    post_key: array.array = dataclasses.field(default_factory=lambda: array.array("Q"))
    parent_key: array.array = dataclasses.field(default_factory=lambda: array.array("Q"))
    thread_key: array.array = dataclasses.field(default_factory=lambda: array.array("Q"))
    source: array.array = dataclasses.field(default_factory=lambda: array.array("H"))
    created: array.array = dataclasses.field(default_factory=lambda: array.array("q"))
    order: array.array = dataclasses.field(default_factory=lambda: array.array("q"))
    mentions: array.array = dataclasses.field(default_factory=lambda: array.array("B"))
    comparable: array.array = dataclasses.field(default_factory=lambda: array.array("B"))
    exact: array.array = dataclasses.field(default_factory=lambda: array.array("Q"))
    bands: array.array = dataclasses.field(default_factory=lambda: array.array("Q"))
    split_draw: array.array = dataclasses.field(default_factory=lambda: array.array("d"))
    sample_draw: array.array = dataclasses.field(default_factory=lambda: array.array("d"))
    placeholders: array.array = dataclasses.field(default_factory=lambda: array.array("I"))  # PLACEHOLDER_KINDS per post

    def __len__(self) -> int:
        return len(self.post_key)

    def numpy(self, name: str) -> np.ndarray:
        return np.frombuffer(getattr(self, name), dtype=getattr(self, name).typecode)


@dataclasses.dataclass
class BuildResult:
    """What a build wrote and counted.

    Args:
        report: the build report (counts only), as written to ``build_report.json``.
        out_dir: the corpus folder.
    """

    report: dict
    out_dir: Path


def check_sources(sources: Sequence[SourceSpec], raw_dir: Path) -> None:
    """Raise :class:`MissingSources` naming every source whose raw files are absent, and where to get them."""
    missing = [s for s in sources if not s.resolve(raw_dir).exists()]
    if missing:
        lines = [f"  - {s.name}: expected at {s.resolve(raw_dir)}\n      obtain: {s.origin or 'see DATA_CARD.md'}" for s in missing]
        raise MissingSources(
            f"{len(missing)} raw source(s) missing under {raw_dir}:\n" + "\n".join(lines)
            + "\nGive the folder with --raw-dir, or build a subset with --sources NAME,NAME."
        )


def build_corpus(
    *,
    raw_dir: Path,
    key: bytes,
    sources: Sequence[SourceSpec] = BUILTIN_SOURCES,
    out_dir: Path = paths.CORPUS_DIR,
    data_card: Path | None = paths.DATA_CARD,
    work_dir: Path | None = None,
    skip_bad: bool = False,
    progress: bool = True,
    gold_labels: Path | None = None,
) -> BuildResult:
    """Build the corpus from raw sources.

    Args:
        raw_dir: folder the sources' relative paths are read from.
        key: the pseudonymisation key (see :func:`forum_anecdotes.keys.load_key`).
        sources: the sources to import, in order (earlier sources win duplicate ties).
        out_dir: the corpus folder to (re)place.
        data_card: where to write the data card as well (None: only ``out_dir/README.md``).
        work_dir: folder for intermediates and the rejects file (default ``.local/build``).
        skip_bad: record bad input in ``work_dir/rejects.jsonl`` and go on, instead of stopping.
        progress: show progress bars.
        gold_labels: the annotation's gold labels (``annotate adjudicate``, usually
            :data:`~forum_anecdotes.paths.GOLD_LABELS`), attached to their posts; None for none.

    Returns:
        The build report and the corpus folder.

    Raises:
        MissingSources: when a source's raw files are absent.
        BadInput: for bad input, when not skipping it.
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    check_sources(sources, raw_dir)
    work_dir = Path(work_dir) if work_dir else paths.LOCAL_DIR / "build"
    work_dir.mkdir(parents=True, exist_ok=True)
    rejects = Rejects(skip_bad=skip_bad, path=work_dir / "rejects.jsonl")
    report = _new_report(sources) | {"key_id": keys.key_id(key)}
    columns = _Columns()
    pass1_files = []
    for index, spec in enumerate(sources):
        pass1 = work_dir / f"pass1-{spec.name}.jsonl"
        pass1_files.append(pass1)
        _import_source(spec, index, raw_dir=raw_dir, key=key, rejects=rejects, columns=columns, out=pass1,
                       report=report, progress=progress)
    rejects.write()
    for (source, reason), count in sorted(rejects.counts.items()):
        report["sources"][source]["rejected"][reason] = count
    for (source, reason), count in sorted(rejects.skipped.items()):
        report["sources"][source]["skipped"][reason] = count
    for stats in report["sources"].values():
        # "read" means one thing everywhere: every input record of the source, whatever became of it
        stats["read"] = stats["imported"] + sum(stats["rejected"].values()) + sum(stats["skipped"].values()) \
            + sum(stats["furniture_posts_dropped"].values())
    decisions = _decide(columns, sources, report)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-staging-", dir=out_dir.parent))
    try:
        _write_splits(pass1_files, decisions, staging / "data", report, gold=read_gold(gold_labels, key_id=report["key_id"]) if gold_labels else {},
                      progress=progress)
        report["pii_evaluation"] = _pii_evaluation()
        report["lexicon_evaluation"] = _lexicon_evaluation()
        (staging / "build_report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        (staging / "README.md").write_text(card.render_card(report, sources=sources), encoding="utf-8")
        plot_composition(report, staging / "figures" / "composition.png")
        _swap_into_place(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if data_card is not None:
        with atomic_write(data_card) as f:
            f.write(card.render_card(report, sources=sources))
    for pass1 in pass1_files:
        pass1.unlink(missing_ok=True)
    return BuildResult(report=report, out_dir=out_dir)


def _new_report(sources: Sequence[SourceSpec]) -> dict:
    return {
        "sources": {
            s.name: {"publish": s.publish.value, "read": 0, "imported": 0, "rejected": {}, "skipped": {},
                     "furniture_posts_dropped": {}}
            for s in sources
        },
    }


def _import_source(spec: SourceSpec, index: int, *, raw_dir: Path, key: bytes, rejects: Rejects, columns: _Columns,
                   out: Path, report: dict, progress: bool) -> None:
    """Pass 1 for one source: import and the per-post pipeline; write records, keep numbers."""
    stats = report["sources"][spec.name]
    processed = process_source(spec, raw_dir=raw_dir, key=key, rejects=rejects,
                               furniture_counts=stats["furniture_posts_dropped"], progress=progress)
    with open(out, "w", encoding="utf-8") as sink:
        for done in processed:
            stats["imported"] += 1
            if spec.publish is Publish.NOTHING:
                continue
            post = done.post
            if spec.publish is Publish.IDS_AND_LABELS:  # the terms allow no text
                post.title = post.text = None
            sink.write(json.dumps(post.to_dict(), ensure_ascii=False) + "\n")
            _append_columns(columns, done, index, spec, fingerprint=dedup.fingerprint(done.full_text))


def _append_columns(columns: _Columns, done: ProcessedPost, index: int, spec: SourceSpec, *, fingerprint) -> None:
    post, raw = done.post, done.raw
    columns.post_key.append(id_key64(post.post_id))
    columns.parent_key.append(id_key64(post.parent_id) if post.parent_id else 0)
    columns.thread_key.append(id_key64(post.thread_id))
    columns.source.append(index)
    columns.created.append(int(raw.created.timestamp()) if raw.created else 2**62)
    columns.order.append(raw.order)
    columns.mentions.append(bool(post.drugs or post.drug_classes))
    split_draw, sample_draw = split.thread_draws(spec.name, raw.thread_native_id)
    columns.split_draw.append(split_draw)
    columns.sample_draw.append(sample_draw)
    if fingerprint is None:
        columns.comparable.append(0)
        columns.exact.append(0)
        columns.bands.extend([0] * dedup.BANDS)
    else:
        columns.comparable.append(1)
        columns.exact.append(fingerprint[0])
        columns.bands.extend(int(b) for b in fingerprint[1])
    columns.placeholders.extend(done.placeholders[kind] for kind in PLACEHOLDER_KINDS)


@dataclasses.dataclass
class _Decisions:
    keep: np.ndarray  # bool per post
    parent_known: np.ndarray  # bool: the parent is in the corpus
    position: np.ndarray  # int per post (valid where keep)
    selection: np.ndarray  # index into SELECTION_CODES
    split: np.ndarray  # index into SPLITS


def _decide(columns: _Columns, sources: Sequence[SourceSpec], report: dict) -> _Decisions:
    """Pass 2's decisions, from the numbers alone."""
    n = len(columns)
    post_key, parent_key, thread_key = (columns.numpy(c) for c in ("post_key", "parent_key", "thread_key"))
    source = columns.numpy("source")
    mentions = columns.numpy("mentions").astype(bool)
    # The same post read twice (overlapping dumps) is kept once.
    repeated = dedup.later_occurrences(post_key, np.ones(n, dtype=bool))
    valid = ~repeated
    has_parent = parent_key != 0
    parent_known = has_parent & np.isin(parent_key, post_key[valid])
    has_reply = np.isin(post_key, parent_key[valid & parent_known])
    exact_dup, near_dup = dedup.find_duplicates(
        columns.numpy("exact"), columns.numpy("bands").reshape(n, dedup.BANDS),
        columns.numpy("comparable").astype(bool) & valid,
    )
    duplicate = exact_dup | near_dup
    # A duplicate that others reply to stays, so that no reply loses its parent.
    alive = valid & ~(duplicate & ~has_reply)
    threads, thread_index = np.unique(thread_key, return_inverse=True)
    thread_mentions = np.zeros(threads.size, dtype=bool)
    np.logical_or.at(thread_mentions, thread_index[alive], mentions[alive])
    in_mentioning_thread = thread_mentions[thread_index]
    negative_rate = np.array([s.negative_rate for s in sources])[source]
    sampled = columns.numpy("sample_draw") < negative_rate
    selection = np.select([mentions, in_mentioning_thread, sampled], [0, 1, 2], default=-1)
    keep = alive & (selection >= 0)
    position = _positions(thread_key, has_parent, columns.numpy("created"), columns.numpy("order"), keep)
    split_index = np.searchsorted(np.cumsum(list(split.SPLIT_FRACTIONS.values())), columns.numpy("split_draw"), side="right")
    split_index = np.minimum(split_index, len(SPLITS) - 1)
    report["deduplication"] = {
        "repeated_ids": int(repeated.sum()),
        "exact_duplicates_removed": int((exact_dup & ~has_reply).sum()),
        "near_duplicates_removed": int((near_dup & ~has_reply).sum()),
        "duplicates_kept_because_replied_to": int((duplicate & has_reply).sum()),
        "min_words_compared": dedup.MIN_TOKENS,
    }
    report["parents_not_in_input"] = int((has_parent & ~parent_known & keep).sum())
    report["selection"] = {
        spec.name: {code.value: int(((selection == k) & keep & (source == i)).sum()) for k, code in enumerate(SELECTION_CODES)}
        | {"not_selected": int((alive & (selection < 0) & (source == i)).sum())}
        for i, spec in enumerate(sources)
    }
    replaced = columns.numpy("placeholders").reshape(n, len(PLACEHOLDER_KINDS))
    report["placeholders"] = {
        spec.name: {kind: int(replaced[keep & (source == i), k].sum()) for k, kind in enumerate(PLACEHOLDER_KINDS)}
        for i, spec in enumerate(sources)
    }
    kept = np.flatnonzero(keep)
    linked_posts = pd.DataFrame({
        "source": [sources[i].name for i in source[kept]],
        "thread_id": thread_key[kept],
        "post_id": post_key[kept],
        "parent_id": pd.Series(parent_key[kept], dtype="UInt64").mask(~parent_known[kept]),  # 64-bit keys: no floats
    })
    report[THREADS_LINKED] = {k: int(v) for k, v in linked_thread_counts(linked_posts).items()}
    report["splits"] = {
        spec.name: {
            split_name: {"posts": int(mask.sum()), "threads": int(np.unique(thread_key[mask]).size)}
            for j, split_name in enumerate(SPLITS)
            for mask in [keep & (source == i) & (split_index == j)]
        }
        for i, spec in enumerate(sources)
    }
    return _Decisions(keep=keep, parent_known=parent_known, position=position, selection=selection, split=split_index)


def _positions(thread_key, has_parent, created, order, keep) -> np.ndarray:
    """Each kept post's 0-based position in its thread: first post first, then by time, then input order."""
    index = np.flatnonzero(keep)
    ordered = index[np.lexsort((order[index], created[index], has_parent[index], thread_key[index]))]
    keys = thread_key[ordered]
    starts = np.ones(ordered.size, dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(ordered.size), 0))
    position = np.full(thread_key.size, -1, dtype=np.int64)
    position[ordered] = np.arange(ordered.size) - group_start
    return position


def _write_splits(pass1_files: Iterable[Path], decisions: _Decisions, data_dir: Path, report: dict, *, gold: dict,
                  progress: bool) -> None:
    """Pass 2's stream: kept records, completed and with their gold labels, into one JSONL file per
    split; and the ``gold`` configuration's rows into ``gold/<split>.jsonl``."""
    data_dir.mkdir(parents=True)
    (data_dir / "gold").mkdir()
    sinks = {s: open(data_dir / f"{s}.jsonl", "w", encoding="utf-8") for s in SPLITS}
    gold_sinks = {s: open(data_dir / "gold" / f"{s}.jsonl", "w", encoding="utf-8") for s in SPLITS}
    gold_rows, gold_found, external_pairs = [], set(), []
    label_counts: dict = collections.defaultdict(collections.Counter)
    class_counts: dict = collections.defaultdict(collections.Counter)
    try:
        i = 0
        total = int(decisions.keep.size)
        with tqdm(total=total, desc="write splits", unit=" posts", disable=not progress, mininterval=1.0) as bar:
            for pass1 in pass1_files:
                with open(pass1, encoding="utf-8") as f:
                    for line in f:
                        if decisions.keep[i]:
                            record = json.loads(line)
                            record["position"] = int(decisions.position[i])
                            record["selection"] = SELECTION_CODES[decisions.selection[i]].value
                            if not decisions.parent_known[i]:
                                record["parent_id"] = None
                            split_name = SPLITS[decisions.split[i]]
                            annotated = gold.get(record["post_id"])
                            if annotated:
                                record["labels"] += annotated["labels"]
                                gold_found.add(record["post_id"])
                                external_pairs.append(external_and_annotated(record["labels"]))
                            sinks[split_name].write(json.dumps(record, ensure_ascii=False) + "\n")
                            row = gold_row(record, split=split_name, selection=annotated["selection"] if annotated else None,
                                           batch=annotated["batch"] if annotated else None)
                            if row is not None:
                                gold_sinks[split_name].write(json.dumps(row, ensure_ascii=False) + "\n")
                                gold_rows.append({k: v for k, v in row.items() if k not in ("title", "text")})
                            for drug_class in record["drug_classes"]:
                                class_counts[record["source"]][drug_class] += 1
                            for label in record["labels"]:
                                key = f"{label['name']}|{label['origin']}|{_made_by(label)}"
                                label_counts[key][str(label["value"])] += 1
                        i += 1
                        bar.update()
    finally:
        for sink in [*sinks.values(), *gold_sinks.values()]:
            sink.close()
    report["gold"] = gold_counts(gold_rows)
    report["gold"]["annotated_posts_not_in_corpus"] = len(set(gold) - gold_found)
    report["gold"]["external_vs_annotated"] = external_agreement(external_pairs)
    report["labels"] = {key: dict(sorted(c.items())) for key, c in sorted(label_counts.items())}
    report["drug_classes"] = {source: dict(c.most_common()) for source, c in sorted(class_counts.items())}
    report["split_bytes"] = {s: (data_dir / f"{s}.jsonl").stat().st_size for s in SPLITS}
    _write_parquet(data_dir)


def _made_by(label: dict) -> str:
    """Who made a label, for the report: the dataset or rule by name, a language model by its name."""
    if label["agent"] == "language_model":
        return f"language model ({label['agent_model']})"
    if label["agent"] == "person":
        return "person"
    return label["by"]


def _write_parquet(data_dir: Path) -> None:
    """A Parquet copy of each split beside its JSONL, typed by the schema's features.

    pandas guesses JSON column types split by split: a column that is null in every record of
    a small split (``parent_id``, ``title``) comes out as float64 there and as text elsewhere. The
    Parquet files carry the schema, so ``pd.read_parquet`` gives every split the same dtypes.
    """
    import pyarrow.json
    import pyarrow.parquet

    options = pyarrow.json.ParseOptions(explicit_schema=features().arrow_schema, unexpected_field_behavior="error")
    blocks = pyarrow.json.ReadOptions(block_size=4 * MAX_POST_BYTES)  # a block must hold the longest line
    for split_name in SPLITS:
        table = pyarrow.json.read_json(data_dir / f"{split_name}.jsonl", read_options=blocks, parse_options=options)
        pyarrow.parquet.write_table(table, data_dir / f"{split_name}.parquet")


def _pii_evaluation() -> dict:
    """The anonymiser's recall and precision on each PII test set, for the report and the card."""
    from forum_anecdotes.corpus import pii_eval

    def rounded(value):
        return None if value is None else round(value, 4)  # None: no gold span, or no replacement, of that kind

    out = {}
    for testset in pii_eval.DEFAULT_TESTSETS:
        if testset.exists():
            scores = pii_eval.evaluate(pii_eval.load_testset(testset))
            out[testset.name] = {kind: {"gold": s.tp + s.fn, "recall": rounded(s.recall), "precision": rounded(s.precision)}
                                 for kind, s in scores.items()}
    return out


def _lexicon_evaluation() -> dict | None:
    """The substance lexicon's precision and recall on the hand-read sample, for the report and the card."""
    from forum_anecdotes.corpus import lexicon_eval

    if not paths.LEXICON_SAMPLE.exists():
        return None
    return lexicon_eval.evaluate(lexicon_eval.load_sample(paths.LEXICON_SAMPLE)).to_json()


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``staging`` with two renames; the old corpus is removed only after."""
    old = out_dir.parent / f".{out_dir.name}-old-{os.getpid()}"
    if out_dir.exists():
        os.rename(out_dir, old)
    os.rename(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)
