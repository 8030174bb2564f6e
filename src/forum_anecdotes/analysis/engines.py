"""The two engines that turn inputs into a folder of Parquet tag tables and a :class:`~.tally.Tally`.

* ``local``: one process reads, prepares, tags and writes chunk by chunk (:func:`run_local`).
* ``ray``: Ray Data reads the inputs as a dataset (one read task per file, which runs the per-post
  pipeline), tags in a pool of actors through ``map_batches`` and writes Parquet from the workers
  (:mod:`.ray_engine`).

Both call the same functions (:func:`.inputs.prepared_rows`, :func:`.tags.tag_table`) on the same
chunks, so they write the same tags; only where the work runs differs. Both write the tag folder
through :func:`forum_anecdotes.io.staged_folder`, so a reader never sees a half-written folder.
"""
from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pyarrow.dataset as pads
import pyarrow.parquet as pq

from forum_anecdotes.analysis.inputs import (
    InputOptions,
    chunked,
    iter_input,
    prepared_rows,
)
from forum_anecdotes.analysis.tags import tag_schema, tag_table
from forum_anecdotes.analysis.tally import Tally
from forum_anecdotes.io import Rejects, staged_folder
from forum_anecdotes.models.tag import CHUNK_POSTS, Tagger

ENGINES = ("local", "ray")
#: Columns the tally reads back from a tag folder (scores are not needed for counts).
TALLY_COLUMNS = ("month", "group", "drugs", "drug_classes", "corpus_id", "labels")


@dataclasses.dataclass(frozen=True)
class TagJob:
    """What to tag and how: everything an engine needs besides the inputs.

    Args:
        model_dir: the model folder.
        mode: one of :data:`forum_anecdotes.models.tag.MODES` (see :func:`forum_anecdotes.models.tag.check_mode`).
        batch_size: windows per forward pass.
        chunk_size: posts prepared and tagged together (the unit of memory).
        corpus_source: the corpus source whose native ids the input's ids are, to match gold labels.
        public_ids: that source publishes its own ids.
        key: the project's key (the pipeline's pseudonyms; the corpus ids), None: a random one.
    """

    model_dir: Path
    mode: str = "fp32"
    batch_size: int = 32
    chunk_size: int = CHUNK_POSTS
    corpus_source: str | None = None
    public_ids: bool = False
    key: bytes | None = None


def run_local(files: Sequence[Path], *, options: InputOptions, job: TagJob, tags_dir: Path, rejects: Rejects,
              progress: bool = False) -> int:
    """Tag every post of ``files`` in this process and write ``tags_dir/part-00000.parquet``.

    Args:
        files: the inputs (:func:`.inputs.input_files`).
        options: how to read them.
        job: the model and its settings.
        tags_dir: the tag folder to write (replaced whole).
        rejects: where bad posts go; site furniture and repeats are counted in it.
        progress: a progress bar on stderr.

    Returns:
        The number of posts tagged.
    """
    from tqdm import tqdm

    tagger = Tagger(job.model_dir, mode=job.mode, batch_size=job.batch_size, evidence=False, key=job.key)
    schema = tag_schema(tagger.spec.labels)
    posts = 0
    with staged_folder(tags_dir) as staging, \
            pq.ParquetWriter(staging / "part-00000.parquet", schema) as writer, \
            tqdm(desc="tag", unit=" posts", file=sys.stderr, disable=not progress, mininterval=1.0) as bar:
        for file in files:
            rows = prepared_rows(iter_input(file, options=options, rejects=rejects), pipeline=tagger.pipeline,
                                 rejects=rejects)
            for chunk in chunked(rows, job.chunk_size):
                writer.write_table(tag_table(tagger, chunk, corpus_source=job.corpus_source, key=job.key,
                                             public_ids=job.public_ids))
                posts += len(chunk)
                bar.update(len(chunk))
    return posts


def tally_folder(tags_dir: Path, tally: Tally, *, batch_rows: int = 65_536) -> None:
    """Add every tag table of a folder to ``tally``, streaming (a batch of rows at a time).

    Args:
        tags_dir: a folder of Parquet tag tables (as either engine writes them).
        tally: the tally to add to.
        batch_rows: rows read at a time.
    """
    dataset = pads.dataset(tags_dir, format="parquet")
    for batch in dataset.to_batches(columns=list(TALLY_COLUMNS), batch_size=batch_rows):
        tally.add(batch)


def run_engine(engine: str, files: Sequence[Path], *, options: InputOptions, job: TagJob, tags_dir: Path,
               rejects: Rejects, progress: bool = False, ray_actors: int | None = None,
               ray_actor_cpus: float | None = None) -> int:
    """Run one engine (see :data:`ENGINES`); the arguments are those of :func:`run_local`.

    Args:
        ray_actors, ray_actor_cpus: the Ray actor pool's size and CPUs per actor (None: sized to
            the cluster, see :func:`.ray_engine.actor_pool_size`).

    Returns:
        The number of posts tagged.
    """
    if engine == "local":
        return run_local(files, options=options, job=job, tags_dir=tags_dir, rejects=rejects, progress=progress)
    if engine == "ray":
        from forum_anecdotes.analysis.ray_engine import run_ray

        return run_ray(files, options=options, job=job, tags_dir=tags_dir, rejects=rejects, progress=progress,
                       actors=ray_actors, actor_cpus=ray_actor_cpus)
    raise ValueError(f"unknown engine {engine!r}; the engines are {', '.join(ENGINES)}")


def cpu_count() -> int:
    """CPUs this process may use (the affinity mask where the platform has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
