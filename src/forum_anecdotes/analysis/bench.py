"""Benchmark of the analysis engines: posts/s and peak memory, local and Ray, on the same input.

:func:`benchmark_engines` runs each engine on the same posts into its own tag folder while a
thread samples memory (:class:`PeakMemory`), then checks that the engines' tags agree. Inputs are
a file (or folder) of posts, or ``n`` posts from the project's synthetic generator
(:func:`write_generated_posts`, Pushshift format, read with the ``pushshift`` importer), so that
memory can be watched on inputs far larger than any real one here (1,000,000 posts).
"""
from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

from forum_anecdotes.analysis.engines import TagJob, run_engine
from forum_anecdotes.analysis.inputs import InputOptions, input_files
from forum_anecdotes.io import Rejects


def write_generated_posts(path: Path, posts: int, *, seed: int = 0) -> Path:
    """Write ``posts`` invented Reddit posts as a zstd Pushshift dump (streamed: any size).

    Args:
        path: the file to write (``.zst`` is added).
        posts: how many.
        seed: the same seed gives the same posts.

    Returns:
        The file written; read it with ``InputOptions(importer="pushshift")``.
    """
    from forum_anecdotes.corpus.synthetic import write_pushshift_sample

    return write_pushshift_sample(path, posts=posts, seed=seed, compress=True)


class PeakMemory:
    """Samples the resident memory of this process and of all its descendants (Ray's workers) in a thread.

    ``driver_peak`` is this process alone; ``tree_peak`` adds every descendant's RSS, which counts
    pages shared between processes (Ray's object store) once per process, so it is an upper bound.

    Args:
        interval: seconds between samples.
    """

    def __init__(self, *, interval: float = 0.25) -> None:
        self.interval = interval
        self.driver_peak = 0
        self.tree_peak = 0
        self.samples: list[tuple[float, int, int]] = []  # (seconds, driver, tree)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = 0.0

    def _sample(self) -> None:
        me = psutil.Process()
        driver = me.memory_info().rss
        tree = driver
        for child in me.children(recursive=True):
            try:
                tree += child.memory_info().rss
            except psutil.Error:  # a worker that ended between listing and reading
                pass
        self.driver_peak, self.tree_peak = max(self.driver_peak, driver), max(self.tree_peak, tree)
        self.samples.append((time.monotonic() - self._start, driver, tree))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakMemory:
        self._start = time.monotonic()
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def growth(self) -> float:
        """The driver's RSS in the last quarter of the run over its RSS in the second quarter (1.0: flat)."""
        if len(self.samples) < 8:
            return float("nan")
        driver = np.array([s[1] for s in self.samples], dtype=float)
        quarter = len(driver) // 4
        return float(driver[-quarter:].mean() / driver[quarter:2 * quarter].mean())


@dataclasses.dataclass
class EngineFigures:
    """One engine's run: posts tagged, seconds, posts/s, peak memory (MiB) and its growth over the run."""

    engine: str
    posts: int
    seconds: float
    posts_per_s: float
    driver_peak_mib: float
    tree_peak_mib: float
    driver_growth: float
    rejected: int


def compare_tags(first: Path, second: Path) -> dict[str, Any]:
    """How far two tag folders agree: same ids, identical labels, largest score difference.

    Args:
        first, second: tag folders of the same input.

    Returns:
        ``{"posts", "same_ids", "labels_identical", "max_score_difference"}``.
    """
    a = pd.read_parquet(first, columns=["id", "labels", "scores"]).sort_values("id", kind="stable").reset_index(drop=True)
    b = pd.read_parquet(second, columns=["id", "labels", "scores"]).sort_values("id", kind="stable").reset_index(drop=True)
    same_ids = len(a) == len(b) and bool((a["id"] == b["id"]).all())
    if not same_ids:
        return {"posts": len(a), "same_ids": False, "labels_identical": False, "max_score_difference": None}
    labels = all(list(x) == list(y) for x, y in zip(a["labels"], b["labels"]))
    scores_a = pd.DataFrame(list(a["scores"])).to_numpy(float)
    scores_b = pd.DataFrame(list(b["scores"])).to_numpy(float)
    return {"posts": len(a), "same_ids": True, "labels_identical": labels,
            "max_score_difference": float(np.abs(scores_a - scores_b).max()) if len(a) else 0.0}


def benchmark_engines(source: Path, *, options: InputOptions, job: TagJob, work_dir: Path,
                      engines: Sequence[str] = ("local", "ray"), ray_actors: int | None = None,
                      progress: bool = False) -> dict[str, Any]:
    """Run each engine on the same input, timing it and watching its memory.

    Args:
        source: the input (file, folder, or an importer's path).
        options: how to read it.
        job: the model and its settings.
        work_dir: where each engine's tag folder goes (``tags-<engine>``).
        engines: the engines, in order.
        ray_actors: the Ray actor pool's size (None: the default sizing).
        progress: progress bars.

    Returns:
        ``{"engines": [EngineFigures as dicts], "agreement": compare_tags of the first two engines or None}``.
    """
    files = input_files(source, importer=options.importer)
    figures = []
    for engine in engines:
        rejects = Rejects(skip_bad=True)
        with PeakMemory() as memory:
            started = time.perf_counter()
            posts = run_engine(engine, files, options=options, job=job, tags_dir=work_dir / f"tags-{engine}",
                               rejects=rejects, progress=progress, ray_actors=ray_actors)
            seconds = time.perf_counter() - started
        figures.append(EngineFigures(engine=engine, posts=posts, seconds=round(seconds, 2),
                                     posts_per_s=round(posts / seconds, 2) if seconds else float("nan"),
                                     driver_peak_mib=round(memory.driver_peak / 2 ** 20, 1),
                                     tree_peak_mib=round(memory.tree_peak / 2 ** 20, 1),
                                     driver_growth=round(memory.growth(), 3), rejected=rejects.total))
    agreement = (compare_tags(work_dir / f"tags-{engines[0]}", work_dir / f"tags-{engines[1]}")
                 if len(engines) >= 2 else None)
    return {"engines": [dataclasses.asdict(f) for f in figures], "agreement": agreement}
