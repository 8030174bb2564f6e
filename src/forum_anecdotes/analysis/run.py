"""The analysis job: inputs in, tags written, counts tallied, prevalence report out.

:func:`analyse` is what ``forum-anecdotes analyse`` runs: it reads the inputs (:mod:`.inputs`), tags
every post with an engine (:mod:`.engines`: local or Ray) into a folder of Parquet tag tables,
tallies them (:mod:`.tally`), corrects the prevalence for the model's measured error
(:mod:`.prevalence`, error rates from the model's ``report.json``), and writes the report
(:mod:`.report`). With ``tags_only`` it re-reads an existing tag folder instead of tagging, so that
a report can be redone (other cells, other thresholds of smallness) without the model.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from forum_anecdotes import paths
from forum_anecdotes.analysis.engines import TagJob, run_engine, tally_folder
from forum_anecdotes.analysis.inputs import InputOptions, input_files
from forum_anecdotes.analysis.prevalence import (
    error_rates_from_report,
    prevalence_table,
)
from forum_anecdotes.analysis.report import write_report
from forum_anecdotes.analysis.tally import Tally
from forum_anecdotes.io import Rejects, atomic_write
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models.spec import load_spec

#: Gold splits compared with the estimate by default: the held-out ones. Train posts were learnt
#: (their tags agree with gold too well); the test split is where the error rates come from.
DEFAULT_GOLD_SPLITS = ("validation", "test")


@dataclasses.dataclass
class AnalysisResult:
    """What :func:`analyse` did.

    Args:
        posts: posts tagged (or read from the tag folder).
        tally: the counts.
        rejects: bad lines and posts passed over.
        written: the report's files.
        tags_dir: the tag folder.
        seconds: wall time of the whole job.
    """

    posts: int
    tally: Tally
    rejects: Rejects
    written: list[Path]
    tags_dir: Path
    seconds: float


def tagging_file(tags_dir: str | Path) -> Path:
    """Where a tagging run records how it made a tag folder: ``<tags_dir>.run.json`` (beside it, local)."""
    return Path(f"{tags_dir}.run.json")


class WrongModel(ValueError):
    """Stored tags were made by another model than the one whose error rates would correct them."""


def model_record(model_dir: Path, spec) -> dict[str, str]:
    """Name, version and weights digest of a model, as the tagging file and the report record it."""
    from forum_anecdotes.models.onnx_runtime import model_digest

    return {"name": spec.name, "version": spec.version, "digest": model_digest(model_dir)}


def check_tagging_model(tagging: dict[str, Any], *, current: dict[str, str], model_dir: Path, tags_dir: Path) -> None:
    """Refuse to correct stored tags with the error rates of a model that did not make them.

    Args:
        tagging: the tag folder's tagging file (:func:`tagging_file`); older ones name no model,
            and are accepted as they are.
        current: :func:`model_record` of the model whose evaluation report would correct the tags.
        model_dir: that model's folder, for the message.
        tags_dir: the tag folder, for the message.

    Raises:
        WrongModel: the recorded weights digest differs from ``current``'s.
    """
    made_by = tagging.get("model")
    if not made_by or "digest" not in made_by:
        return
    if made_by["digest"] != current["digest"]:
        raise WrongModel(
            f"{tags_dir} was tagged by {made_by['name']} {made_by['version']} (weights {made_by['digest']}), "
            f"not by {model_dir} ({current['name']} {current['version']}, weights {current['digest']}): its error "
            "rates would not fit these tags; pass --model with the model that tagged them")


def gold_values(corpus_dir: Path = paths.CORPUS_DIR, *, splits: Sequence[str] = DEFAULT_GOLD_SPLITS
                ) -> dict[str, dict[str, int | None]]:
    """The corpus's gold values by post id, from ``data/gold/<split>.jsonl``.

    Args:
        corpus_dir: the corpus folder.
        splits: the splits to take.

    Returns:
        ``{post_id: {label: 0, 1 or None}}``.
    """
    out: dict[str, dict[str, int | None]] = {}
    for split in splits:
        path = Path(corpus_dir) / "data" / "gold" / f"{split}.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"{path}: no gold labels of the {split} split (build the corpus first)")
        frame = pd.read_json(path, lines=True)
        for row in frame[["post_id", *LABEL_NAMES]].itertuples(index=False):
            out[row.post_id] = {name: (None if pd.isna(v) else int(v)) for name, v in zip(LABEL_NAMES, row[1:])}
    return out


def analyse(source: str | Path, *, out_dir: Path, tags_dir: Path, model_dir: Path = paths.DEFAULT_MODEL_DIR,
            options: InputOptions = InputOptions(), engine: str = "local", mode: str = "fp32", batch_size: int = 32,
            skip_bad: bool = False, corpus_source: str | None = None, public_ids: bool = False,
            key: bytes | None = None, gold: Mapping[str, Mapping[str, int | None]] | None = None,
            tags_only: bool = False, min_posts: int = 30, min_positives: int = 5, n_draws: int = 4000, seed: int = 0,
            command: str = "", progress: bool = False, ray_actors: int | None = None,
            ray_actor_cpus: float | None = None) -> AnalysisResult:
    """Tag a collection of posts and write its prevalence report.

    Args:
        source: a file or folder of posts (see :func:`.inputs.input_files`), or a raw source's path
            with ``options.importer``; ignored with ``tags_only``.
        out_dir: the report folder (markdown, CSV, PNG; aggregates only).
        tags_dir: the tag folder (Parquet; ids, months, groups, substances, scores, labels; no text).
        model_dir: the model folder; its ``report.json`` gives the error rates.
        options: how to read the inputs.
        engine: "local" or "ray".
        mode: the model's precision mode.
        batch_size: windows per forward pass.
        skip_bad: record bad lines in ``<tags_dir>.rejects.jsonl`` and go on.
        corpus_source: the corpus source whose native ids the input's ids are (gold matching).
        public_ids: that source publishes its own ids.
        key: the project's key (needed with ``corpus_source``).
        gold: gold values by corpus id (:func:`gold_values`), None: no comparison.
        tags_only: do not tag; tally the existing ``tags_dir`` (the mode, engine, command and run time
            of the run that made it are taken from :func:`tagging_file` where it exists).
        min_posts, min_positives: cells below either are marked small.
        n_draws, seed: the bootstrap.
        command: the command line, quoted in the report.
        progress: progress bars.
        ray_actors, ray_actor_cpus: the Ray actor pool (see :func:`.ray_engine.actor_pool_size`).

    Returns:
        What was done.
    """
    started = time.monotonic()
    spec = load_spec(model_dir)
    model = model_record(Path(model_dir), spec)  # digests the weights: once per run
    rejects = Rejects(skip_bad=skip_bad, path=Path(f"{tags_dir}.rejects.jsonl") if skip_bad else None)
    tagging: dict[str, Any] = {}
    if tags_only:
        if not Path(tags_dir).is_dir():
            raise FileNotFoundError(f"{tags_dir}: no tag folder to report on (run without --tags-only first)")
        if tagging_file(tags_dir).is_file():  # how the tags were made: the report says so
            tagging = json.loads(tagging_file(tags_dir).read_text(encoding="utf-8"))
            mode = tagging.get("mode", mode)  # the error rates of the mode that made the tags
            check_tagging_model(tagging, current=model, model_dir=Path(model_dir), tags_dir=Path(tags_dir))
    else:
        files = input_files(source, importer=options.importer)
        job = TagJob(model_dir=Path(model_dir), mode=mode, batch_size=batch_size, corpus_source=corpus_source,
                     public_ids=public_ids, key=key)
        run_engine(engine, files, options=options, job=job, tags_dir=Path(tags_dir), rejects=rejects,
                   progress=progress, ray_actors=ray_actors, ray_actor_cpus=ray_actor_cpus)
        rejects.write()
    rates = error_rates_from_report(Path(model_dir) / "report.json", system=spec.name, mode=mode)
    tally = Tally(spec.labels, gold=gold)
    tally_folder(Path(tags_dir), tally)
    table = prevalence_table(tally.counts(), rates, min_posts=min_posts, min_positives=min_positives,
                             n_draws=n_draws, seed=seed)
    seconds = time.monotonic() - started
    meta: dict[str, Any] = {
        "command": command or "forum-anecdotes analyse", "input": str(source), "posts": tally.posts,
        "undated": tally.undated, "rejected": rejects.total,
        "skipped": sum(rejects.skipped.values()), "engine": engine,
        "model": model, "mode": mode, "seconds": round(seconds, 1),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"), "gold_matched": tally.gold_matched,
    }
    if tags_only:  # the figures of the run that made the tags, where it left them
        meta |= {k: tagging[k] for k in ("command", "input", "rejected", "skipped", "engine", "seconds", "date")
                 if k in tagging}
        meta["report_command"] = command
        if not tagging:
            meta["engine"] = "unknown (tags re-read; no record of the tagging run)"
    else:
        with atomic_write(tagging_file(tags_dir)) as f:
            f.write(json.dumps({k: meta[k] for k in ("command", "input", "rejected", "skipped", "engine", "model",
                                                      "mode", "seconds", "date")}, indent=2) + "\n")
    written = write_report(out_dir, table=table, cooccurrence_substances=tally.cooccurrence("substance"),
                           cooccurrence_classes=tally.cooccurrence("drug_class"), gold=tally.gold_frame(),
                           rates=rates, meta=meta, min_posts=min_posts, n_draws=n_draws, seed=seed)
    run_file = Path(out_dir) / "run.json"
    with atomic_write(run_file) as f:
        f.write(json.dumps(meta, indent=2) + "\n")
    return AnalysisResult(posts=tally.posts, tally=tally, rejects=rejects, written=[*written, run_file],
                          tags_dir=Path(tags_dir), seconds=seconds)
