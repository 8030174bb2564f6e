"""The Ray Data engine: the same tagging as the local engine, spread over a Ray cluster.

* The inputs are read as a Ray dataset by :class:`PostsDatasource`: one read task per input file,
  which streams the file and runs the per-post pipeline (:func:`.inputs.prepared_rows`), so that
  only anonymised text enters Ray's object store. It yields each chunk of posts as one row
  (:data:`CHUNK_SCHEMA`). Each task records its own rejects and skips in ``<tags>.ray-rejects/``;
  the driver adds them up.
* The model runs in a pool of :class:`TagActor` through ``map_batches``: each actor loads the model
  once and tags one chunk per call with :func:`.tags.tag_table`, the local engine's function on
  the local engine's chunks.
* The workers write the tag tables as Parquet (``Dataset.write_parquet``), one file per block.

With ``RAY_ADDRESS`` set, :func:`run_ray` joins that cluster; otherwise it starts a local one with
the CPUs of this machine. Importing this module imports Ray; the local engine never does. On a cluster of several machines the model folder, the inputs and the
tag folder must be at paths every node can read (a shared file system, or object storage for
the inputs and the output); see the README.
"""
from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import ray
from ray.data import Datasource, ReadTask
from ray.data.block import BlockMetadata

from forum_anecdotes.analysis.engines import TagJob, cpu_count
from forum_anecdotes.analysis.inputs import (
    InputOptions,
    chunked,
    iter_input,
    prepared_rows,
)
from forum_anecdotes.io import BadInput, Rejects, atomic_write, staged_folder

#: The columns of a prepared post.
POST_FIELDS = [
    pa.field("id", pa.string()), pa.field("text", pa.string()), pa.field("month", pa.string()),
    pa.field("group", pa.string()), pa.field("drugs", pa.list_(pa.string())),
    pa.field("drug_classes", pa.list_(pa.string())),
]
#: What a read task hands the actors: one row per chunk of posts, each column a list over the chunk.
#: A chunk travels as one row because dynamic int8 quantises each batch's activations with that
#: batch's range, so a post's int8 scores depend on the posts batched with it. Ray joins and cuts
#: blocks by size, but only between rows: each actor call then tags exactly the chunk the local
#: engine tags, and both engines give identical tags in every mode.
CHUNK_SCHEMA = pa.schema([pa.field(f.name, pa.list_(f.type)) for f in POST_FIELDS])
#: CPUs a read task or a Parquet writer asks for: they stream and anonymise (far cheaper than the
#: model), and Ray's default of one CPU each would not fit beside the actor pool (a deadlock on 2 CPUs).
IO_TASK_CPUS = 0.25
#: Memory for the object store of a local cluster: blocks stream through it, so a small store
#: keeps memory flat without slowing the job (Ray's default takes 30% of the machine's memory).
LOCAL_OBJECT_STORE_BYTES = 512 * 1024 ** 2
#: The largest block Ray Data makes of what a read task yields. Ray joins a task's tables into blocks
#: of up to ``DataContext.target_max_block_size`` (128 MiB by default): a file read by one task then
#: becomes one or two huge blocks, one actor tags them in a single task that reports no progress for
#: an hour, and Ray stops the job after 30 minutes "without progress" (it did, on the 131,460
#: r/opiates submissions). 1 MiB is about one chunk (one row) of 1,024 forum posts.
READ_BLOCK_BYTES = 1024 ** 2
#: CPUs per model actor in the default pool. On 2 cores, one actor with 2 torch threads tagged 24.2
#: posts/s where two actors of 1 thread each managed 19.5 (``analyse-benchmark``, 2,996 r/opiates
#: submissions, int8): two model processes and a read task on 2 cores mostly wait on each other.
CPUS_PER_ACTOR = 2


def actor_pool_size(cluster_cpus: float) -> tuple[int, float]:
    """The default actor pool: ``(actors, CPUs per actor)`` for a cluster with ``cluster_cpus`` CPUs.

    One actor per :data:`CPUS_PER_ACTOR` CPUs, and the pool leaves half a CPU to a read task and a
    writer (:data:`IO_TASK_CPUS` each). On 2 CPUs that is one actor of 1.5 CPUs running 2 torch
    threads, while the read task anonymises the next block. An actor pool that takes every CPU
    starves the reads: nothing is ever read, and the job waits forever.

    Args:
        cluster_cpus: the CPUs of the cluster.

    Returns:
        The pool size and the CPUs each actor asks for.
    """
    usable = max(cluster_cpus - 2 * IO_TASK_CPUS, 0.5)
    actors = max(1, int(cluster_cpus // CPUS_PER_ACTOR))
    return actors, round(usable / actors, 3)


def actor_threads(actor_cpus: float) -> int:
    """Torch threads of an actor that asks for ``actor_cpus`` CPUs: its share, rounded up."""
    return max(1, math.ceil(actor_cpus))


class PostsDatasource(Datasource):
    """A Ray datasource of prepared posts: one read task per input file.

    Args:
        files: the inputs.
        options: how to read them.
        key: the pipeline's key (pseudonyms of authors; None: a random one per task, which changes
            no tag since authors are not in the tag table).
        skip_bad: record bad lines instead of failing.
        rejects_dir: where each task writes ``part-NNNNN.json`` with its rejects and skips.
        chunk_size: posts per chunk (one row of :data:`CHUNK_SCHEMA`).
    """

    def __init__(self, files: Sequence[Path], *, options: InputOptions, key: bytes | None, skip_bad: bool,
                 rejects_dir: Path, chunk_size: int) -> None:
        self.files, self.options, self.key = [Path(f) for f in files], options, key
        self.skip_bad, self.rejects_dir, self.chunk_size = skip_bad, Path(rejects_dir), chunk_size

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None, data_context=None) -> list:
        tasks = []
        for index, file in enumerate(self.files):
            metadata = BlockMetadata(num_rows=None, size_bytes=None, exec_stats=None, input_files=(str(file),))
            tasks.append(ReadTask(lambda index=index, file=file: self._read(index, file), metadata,
                                  schema=CHUNK_SCHEMA))
        return tasks

    def _read(self, index: int, file: Path) -> Iterator[pa.Table]:
        from forum_anecdotes.corpus.process import PostPipeline
        from forum_anecdotes.models.tag import pipeline_key

        rejects = Rejects(skip_bad=self.skip_bad)
        pipeline = PostPipeline(key=self.key if self.key is not None else pipeline_key()[0])
        rows = prepared_rows(iter_input(file, options=self.options, rejects=rejects), pipeline=pipeline,
                             rejects=rejects)
        for chunk in chunked(rows, self.chunk_size):
            yield pa.Table.from_pydict({f.name: [[row[f.name] for row in chunk]] for f in POST_FIELDS},
                                       schema=CHUNK_SCHEMA)
        with atomic_write(self.rejects_dir / f"part-{index:05d}.json") as f:
            json.dump({"file": str(file), "records": rejects.records,
                       "skipped": [[source, reason, count] for (source, reason), count in rejects.skipped.items()]}, f)


class TagActor:
    """A Ray actor holding the model: ``map_batches`` calls it with one chunk of prepared posts at a time.

    Args:
        job: the model and its settings.
        threads: torch threads of this actor (its share of the CPUs).
    """

    def __init__(self, job: TagJob, threads: int) -> None:
        import torch

        from forum_anecdotes.models.tag import Tagger

        torch.set_num_threads(max(1, threads))
        self.job = job
        self.tagger = Tagger(job.model_dir, mode=job.mode, batch_size=job.batch_size, evidence=False, key=job.key)

    def __call__(self, batch: pa.Table) -> pa.Table:
        from forum_anecdotes.analysis.tags import tag_table

        tables = []
        for chunk in batch.to_pylist():  # one row per chunk (batch_size=1; a list in case Ray hands more)
            posts = [dict(zip(chunk, values)) for values in zip(*chunk.values())]
            tables.append(tag_table(self.tagger, posts, corpus_source=self.job.corpus_source, key=self.job.key,
                                    public_ids=self.job.public_ids))
        return pa.concat_tables(tables)


def _bad_input_in(error: BaseException) -> BadInput | None:
    """The BadInput that a Ray task raised, found in the chain of errors Ray wraps it in.

    Ray raises a task's error as a ``RayTaskError(BadInput)``: a wrapper that is an instance of both
    (its message is the remote traceback); the user's own BadInput is its ``cause``.
    """
    seen, wrapper = set(), None
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, BadInput):
            if not isinstance(error, ray.exceptions.RayError):
                return error
            wrapper = wrapper or error
        cause = getattr(error, "cause", None)
        error = cause if isinstance(cause, BaseException) else (error.__cause__ or error.__context__)
    return None if wrapper is None else BadInput(wrapper.file, wrapper.line, wrapper.reason)


def run_ray(files: Sequence[Path], *, options: InputOptions, job: TagJob, tags_dir: Path, rejects: Rejects,
            progress: bool = False, actors: int | None = None, actor_cpus: float | None = None,
            block_bytes: int = READ_BLOCK_BYTES) -> int:
    """Tag every post of ``files`` on Ray and write the tag tables into ``tags_dir`` (replaced whole).

    Args:
        files, options, job, tags_dir, rejects, progress: as for :func:`.engines.run_local`.
        actors: the actor pool's size (None: :func:`actor_pool_size` of the cluster).
        actor_cpus: CPUs each actor asks for (None: as :func:`actor_pool_size` says).
        block_bytes: the largest block of prepared posts (see :data:`READ_BLOCK_BYTES`).

    Returns:
        The number of posts tagged.

    Raises:
        BadInput: the first bad line, unless ``rejects`` records them (the error a task raised).
    """
    started_here = not ray.is_initialized()
    if started_here:
        address = os.environ.get("RAY_ADDRESS")
        settings: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if not address:
            settings |= {"num_cpus": cpu_count(), "object_store_memory": LOCAL_OBJECT_STORE_BYTES}
        ray.init(address=address or "local", **settings)  # "local": never join a stray `ray start` cluster
    context = ray.data.DataContext.get_current()
    block_bytes_before = context.target_max_block_size
    try:
        context.enable_progress_bars = progress
        context.print_on_execution_start = False
        context.target_max_block_size = block_bytes
        cluster_cpus = float(ray.cluster_resources().get("CPU", 1))
        default_actors, default_cpus = actor_pool_size(cluster_cpus)
        actors = actors or default_actors
        actor_cpus = actor_cpus or (default_cpus if actors == default_actors
                                   else max(0.1, (cluster_cpus - 2 * IO_TASK_CPUS) / actors))
        rejects_dir = tags_dir.with_name(f"{tags_dir.name}.ray-rejects")
        shutil.rmtree(rejects_dir, ignore_errors=True)
        rejects_dir.mkdir(parents=True)
        try:
            source = PostsDatasource(files, options=options, key=job.key, skip_bad=rejects.skip_bad,
                                     rejects_dir=rejects_dir, chunk_size=job.chunk_size)
            with staged_folder(tags_dir) as staging:
                try:
                    # one read task per file; Ray joins or cuts its chunk rows into blocks of at most block_bytes
                    (ray.data.read_datasource(source, num_cpus=IO_TASK_CPUS, override_num_blocks=len(files))
                     .map_batches(TagActor, fn_constructor_kwargs={"job": job, "threads": actor_threads(actor_cpus)},
                                  batch_size=1, batch_format="pyarrow", zero_copy_batch=True,
                                  compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=actor_cpus)
                     .write_parquet(str(staging), ray_remote_args={"num_cpus": IO_TASK_CPUS}))
                except Exception as e:  # Ray wraps a task's error; a user's bad line is reported as itself
                    bad = _bad_input_in(e)
                    if bad is not None:
                        raise bad from None
                    raise
            _gather_rejects(rejects_dir, rejects)
        finally:  # the tasks' rejects are gathered or the job failed: the folder goes either way
            shutil.rmtree(rejects_dir, ignore_errors=True)
        return _count_rows(tags_dir)
    finally:
        context.target_max_block_size = block_bytes_before  # the driver's setting, for its other datasets
        if started_here:
            ray.shutdown()


def _gather_rejects(rejects_dir: Path, rejects: Rejects) -> None:
    """Add the rejects and skips the read tasks recorded to ``rejects``."""
    for part in sorted(rejects_dir.glob("part-*.json")):
        found = json.loads(part.read_text(encoding="utf-8"))
        for record in found["records"]:
            rejects.handle(BadInput(record["file"], record["line"], record["reason"]), source=record["source"])
        for source, reason, count in found["skipped"]:
            rejects.skip(reason, source=source, count=count)


def _count_rows(tags_dir: Path) -> int:
    import pyarrow.dataset as pads

    return pads.dataset(tags_dir, format="parquet").count_rows()
