"""Streaming tallies of tag tables: the counts every prevalence figure is computed from.

A :class:`Tally` adds up tag tables (:mod:`.tags`) chunk by chunk and keeps only counts, so that
memory stays flat however many posts pass: per cell (overall, year, month, group, drug class) the
posts and the posts tagged with each label; per substance and per class the same (the
co-occurrence of labels and substances); and, for posts matched to gold labels, the gold and the
tagged positives per label. Tallies of parts merge (:meth:`Tally.merge`), so the order and
sharding of the engines' outputs do not matter.
"""
from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

#: The breakdowns of the prevalence table, in report order.
DIMENSIONS = ("overall", "year", "month", "group", "drug_class")
#: The drug-class cell of posts that name no substance.
NO_SUBSTANCE = "(none named)"


class Tally:
    """Counts of posts and tagged posts, by cell, substance and gold label.

    Args:
        labels: the model's labels, in order.
        gold: gold values by corpus id (``{post_id: {label: 0 or 1}}``; a label missing or None
            is unknown), matched against the tag table's ``corpus_id``; None: no comparison.
    """

    def __init__(self, labels: Sequence[str], *, gold: Mapping[str, Mapping[str, int | None]] | None = None):
        self.labels = list(labels)
        self.gold = gold
        width = len(self.labels) + 1  # posts, then one count per label
        self.cells: dict[tuple[str, str], np.ndarray] = collections.defaultdict(lambda: np.zeros(width, np.int64))
        self.substances: dict[str, np.ndarray] = collections.defaultdict(lambda: np.zeros(width, np.int64))
        self.classes: dict[str, np.ndarray] = collections.defaultdict(lambda: np.zeros(width, np.int64))
        # per label: posts with a known gold value, gold positives, tagged positives among them
        self.gold_counts = np.zeros((len(self.labels), 3), np.int64)
        self.gold_matched = 0
        self.undated = 0

    @property
    def posts(self) -> int:
        """Posts tallied."""
        return int(self.cells[("overall", "all")][0]) if ("overall", "all") in self.cells else 0

    def add(self, table: pa.Table) -> None:
        """Add the posts of a tag table.

        Args:
            table: a table of :func:`.tags.tag_schema` (extra columns are ignored).
        """
        index = {label: i for i, label in enumerate(self.labels)}
        months = table.column("month").to_pylist()
        groups = table.column("group").to_pylist()
        drugs = table.column("drugs").to_pylist()
        classes = table.column("drug_classes").to_pylist()
        tagged = table.column("labels").to_pylist()
        corpus_ids = table.column("corpus_id").to_pylist() if self.gold is not None else [None] * len(months)
        for month, group, names, drug_classes, labels, corpus_id in zip(months, groups, drugs, classes, tagged, corpus_ids):
            row = np.zeros(len(self.labels) + 1, np.int64)
            row[0] = 1
            for label in labels or ():
                row[1 + index[label]] = 1
            self.cells[("overall", "all")] += row
            if month:
                self.cells[("year", month[:4])] += row
                self.cells[("month", month)] += row
            else:
                self.undated += 1
            self.cells[("group", group or "")] += row
            for drug_class in drug_classes or (NO_SUBSTANCE,):
                self.cells[("drug_class", drug_class)] += row
                self.classes[drug_class] += row
            for name in names or ():
                self.substances[name] += row
            if corpus_id is not None and corpus_id in self.gold:
                self._add_gold(self.gold[corpus_id], row[1:])

    def _add_gold(self, values: Mapping[str, int | None], tagged: np.ndarray) -> None:
        self.gold_matched += 1
        for i, label in enumerate(self.labels):
            value = values.get(label)
            if value is not None:
                self.gold_counts[i] += (1, int(value), int(tagged[i]))

    def merge(self, other: Tally) -> None:
        """Add another tally's counts (of other posts) to this one."""
        if other.labels != self.labels:
            raise ValueError("tallies of different label sets cannot be merged")
        for mine, theirs in ((self.cells, other.cells), (self.substances, other.substances),
                             (self.classes, other.classes)):
            for key, counts in theirs.items():
                mine[key] += counts
        self.gold_counts += other.gold_counts
        self.gold_matched += other.gold_matched
        self.undated += other.undated

    # ---------------------------------------------------------------- frames

    def counts(self) -> pd.DataFrame:
        """The prevalence counts: one row per cell, ``dimension``, ``value``, ``posts`` and a count per label.

        Rows come in :data:`DIMENSIONS` order, then by value (years and months in time order).
        """
        keys = sorted(self.cells, key=lambda k: (DIMENSIONS.index(k[0]), k[1]))
        frame = pd.DataFrame([self.cells[k] for k in keys], columns=["posts", *self.labels]) if keys else \
            pd.DataFrame(columns=["posts", *self.labels], dtype=np.int64)
        frame.insert(0, "value", [k[1] for k in keys])
        frame.insert(0, "dimension", [k[0] for k in keys])
        return frame

    def cooccurrence(self, by: str = "substance") -> pd.DataFrame:
        """Posts naming each substance (or class) and, of those, the posts tagged with each label.

        Args:
            by: "substance" or "drug_class".

        Returns:
            A frame indexed by substance (or class), columns ``posts`` and one per label, most
            named first.
        """
        source = {"substance": self.substances, "drug_class": self.classes}[by]
        frame = pd.DataFrame.from_dict({k: v for k, v in source.items()}, orient="index",
                                       columns=["posts", *self.labels]) if source else \
            pd.DataFrame(columns=["posts", *self.labels], dtype=np.int64)
        frame.index.name = by
        return frame.sort_values("posts", ascending=False, kind="stable")

    def gold_frame(self) -> pd.DataFrame:
        """Per label: analysed posts with a known gold value, their gold positives, and the tagged positives among them.

        Returns:
            A frame indexed by label (empty when no post was matched to gold).
        """
        if not self.gold_matched:
            return pd.DataFrame(columns=["posts", "gold_positive", "tagged_positive"], dtype=np.int64)
        frame = pd.DataFrame(self.gold_counts, index=pd.Index(self.labels, name="label"),
                             columns=["posts", "gold_positive", "tagged_positive"])
        return frame[frame["posts"] > 0]
