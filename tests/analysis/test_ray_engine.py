"""The Ray engine on a small local cluster: the same tags as the local engine, rejects from the read tasks,
a bad line raised as itself, and the default actor pool.

Each Ray run costs 10-30 s on a small machine, so the module makes two: one with ``skip_bad`` shared by
several tests, and one that fails on the bad line.
"""
import math

import pyarrow.parquet as pq
import pytest
import ray

from forum_anecdotes.analysis.inputs import InputOptions, input_files
from forum_anecdotes.analysis.ray_engine import IO_TASK_CPUS, actor_pool_size, actor_threads
from forum_anecdotes.io import BadInput, Rejects
from forum_anecdotes.labels import LABEL_NAMES


@pytest.fixture(scope="module")
def cluster():
    """A local cluster of 2 CPUs for this module, shut down after it (run_ray joins it and leaves it running)."""
    with pytest.MonkeyPatch.context() as patch:
        # no token authentication: a local test cluster needs none, and it would write ~/.ray/auth_token
        patch.setenv("RAY_AUTH_MODE", "disabled")
        patch.delenv("RAY_ADDRESS", raising=False)
        # "local": a new cluster, never one that `ray start` left running on this machine
        ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=128 * 1024 ** 2, log_to_driver=False,
                 configure_logging=False)
        try:
            yield ray.cluster_resources()
        finally:
            ray.shutdown()


@pytest.fixture(scope="module")
def ray_run(cluster, tmp_path_factory, local_run, posts_folder):
    """The Ray engine on the synthetic folder with ``skip_bad``, with the local run's job (chunks of 64)."""
    from forum_anecdotes.analysis.ray_engine import run_ray

    tags_dir = tmp_path_factory.mktemp("ray") / "tags"
    rejects = Rejects(skip_bad=True)
    # blocks of 4 KiB, smaller than a chunk of 64 posts: each file flows through the actors as many blocks;
    # one actor with one torch thread, as the local run has (another thread count sums in another order)
    posts = run_ray(input_files(posts_folder.dir), options=InputOptions(), job=local_run.job, tags_dir=tags_dir,
                    rejects=rejects, block_bytes=4096, actors=1, actor_cpus=1.0)
    return posts, tags_dir, rejects


def read_sorted(tags_dir):
    return pq.read_table(tags_dir).sort_by("id").to_pylist()


def test_ray_tags_equal_the_local_engines(ray_run, local_run, cluster, posts_folder):
    posts, tags_dir, _ = ray_run
    assert cluster["CPU"] == 2
    assert ray.is_initialized()  # run_ray left running the cluster it did not start
    ray_rows, local_rows = read_sorted(tags_dir), read_sorted(local_run.tags_dir)
    assert posts == len(ray_rows) == len(local_rows) == local_run.posts
    assert pq.read_schema(next(tags_dir.glob("*.parquet"))).names == pq.read_schema(
        local_run.tags_dir / "part-00000.parquet").names
    for column in ("id", "month", "group", "drugs", "drug_classes", "corpus_id", "labels"):
        assert [r[column] for r in ray_rows] == [r[column] for r in local_rows], column
    # Bit for bit: a chunk travels as one row, so however Ray cuts its blocks, each actor call tags the
    # local engine's chunk, in the same length-sorted batches (which dynamic int8 depends on too)
    for ray_row, local_row in zip(ray_rows, local_rows):
        assert list(ray_row["scores"]) == list(LABEL_NAMES)
        assert ray_row["scores"] == local_row["scores"]
    # each file went through the actors as several blocks (a chunk or more per Parquet file), not as
    # one block per file: a huge block is one long task without progress, which Ray stops after 30 minutes
    chunks = sum(-(-len([p for p in posts_folder.posts if p.startswith(prefix)]) // 64) for prefix in ("a", "b"))
    assert len(list(tags_dir.glob("*.parquet"))) >= chunks > 2 * len(posts_folder.files)
    assert ray.data.DataContext.get_current().target_max_block_size != 4096  # the driver's setting is back
    # no folder is left beside the tags (staging, old copies, the read tasks' rejects)
    assert [p.name for p in tags_dir.parent.iterdir()] == ["tags"]


def test_ray_gathers_the_rejects_of_the_read_tasks(ray_run, local_run, posts_folder):
    _, _, rejects = ray_run
    assert rejects.records == local_run.rejects.records
    assert [(r["file"], r["line"]) for r in rejects.records] == [(str(posts_folder.bad_file), posts_folder.bad_line)]
    assert rejects.skipped == local_run.rejects.skipped and rejects.counts == local_run.rejects.counts


def test_ray_raises_a_bad_line_as_itself(ray_run, tmp_path, posts_folder, local_run):
    from forum_anecdotes.analysis.ray_engine import run_ray

    tags_dir = tmp_path / "tags"
    with pytest.raises(BadInput) as caught:
        # one actor (of 1.5 CPUs): a pool of another size, and one process less to start
        run_ray([posts_folder.bad_file], options=InputOptions(), job=local_run.job, tags_dir=tags_dir,
                rejects=Rejects(), actors=1)
    assert type(caught.value) is BadInput  # not Ray's RayTaskError(BadInput), whose message is a traceback
    assert (caught.value.file, caught.value.line) == (str(posts_folder.bad_file), posts_folder.bad_line)
    assert str(caught.value).startswith(f"{posts_folder.bad_file}:{posts_folder.bad_line}: malformed JSON")
    assert list(tmp_path.iterdir()) == []  # no tags, no staging folder, no rejects folder
    assert ray.is_initialized()


@pytest.mark.parametrize("cpus, pool", [(2, (1, 1.5)), (1, (1, 0.5)), (8, (4, 1.875)), (0.5, (1, 0.5)),
                                        (2.5, (1, 2.0)), (16, (8, 1.938))])
def test_actor_pool_size(cpus, pool):
    actors, per_actor = actor_pool_size(cpus)
    assert (actors, per_actor) == pool
    # the pool leaves room for a read task and a writer (but for the rounding of each actor's share to
    # 3 decimals), and never asks for less than half a CPU in all
    assert actors * per_actor <= max(cpus - 2 * IO_TASK_CPUS, 0.5) + actors * 5e-4
    # each actor runs as many torch threads as its share of CPUs, rounded up
    assert actor_threads(per_actor) == max(1, math.ceil(per_actor))
