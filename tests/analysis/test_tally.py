"""Streaming tallies: counts per cell, undated posts, co-occurrence, gold matching, merging, row order."""
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from forum_anecdotes.analysis.tags import tag_schema
from forum_anecdotes.analysis.tally import DIMENSIONS, NO_SUBSTANCE, Tally

LABELS = ["a", "b"]

#: (month, group, drugs, classes, corpus_id, labels)
ROWS = [
    ("2019-03", "g1", ["heroin"], ["opioid"], "c1", ["a"]),
    ("2019-11", "g1", ["alprazolam", "heroin"], ["benzodiazepine", "opioid"], None, ["a", "b"]),
    ("2020-01", "g2", [], [], "c2", []),
    (None, "g2", ["kratom"], ["kratom"], "c3", ["b"]),
    (None, "g1", None, None, "zz", None),  # nulls: no substance, no label; an id without gold
]
GOLD = {"c1": {"a": 1, "b": 0}, "c2": {"a": 1, "b": None}, "c3": {"b": 1}, "unseen": {"a": 1, "b": 1}}


def tag_rows(rows, labels=LABELS) -> pa.Table:
    return pa.Table.from_pylist([
        {"id": f"p{i}", "month": month, "group": group, "drugs": drugs, "drug_classes": classes, "corpus_id": cid,
         "scores": {label: 0.9 if label in (tagged or ()) else 0.1 for label in labels}, "labels": tagged}
        for i, (month, group, drugs, classes, cid, tagged) in enumerate(rows)], schema=tag_schema(labels))


def cells(tally):
    return {(r.dimension, r.value): (r.posts, r.a, r.b) for r in tally.counts().itertuples()}


def test_counts_per_cell_and_undated_posts():
    tally = Tally(LABELS)
    tally.add(tag_rows(ROWS))
    assert tally.posts == 5 and tally.undated == 2
    assert cells(tally) == {
        ("overall", "all"): (5, 2, 2),
        ("year", "2019"): (2, 2, 1), ("year", "2020"): (1, 0, 0),  # undated posts are in no time cell
        ("month", "2019-03"): (1, 1, 0), ("month", "2019-11"): (1, 1, 1), ("month", "2020-01"): (1, 0, 0),
        ("group", "g1"): (3, 2, 1), ("group", "g2"): (2, 0, 1),
        # a post is in the cell of each of its classes; posts naming none are in their own cell
        ("drug_class", "benzodiazepine"): (1, 1, 1), ("drug_class", "kratom"): (1, 0, 1),
        ("drug_class", "opioid"): (2, 2, 1), ("drug_class", NO_SUBSTANCE): (2, 0, 0),
    }


def test_counts_row_order_and_types():
    tally = Tally(LABELS)
    tally.add(tag_rows([("2021-02", "zeta", [], [], None, []), ("2009-12", "alpha", [], ["stimulant"], None, ["a"]),
                        ("2021-01", "beta", [], [], None, ["b"])]))
    frame = tally.counts()
    assert list(frame.columns) == ["dimension", "value", "posts", "a", "b"]
    assert list(frame["dimension"]) == ["overall", "year", "year", "month", "month", "month", "group", "group",
                                        "group", "drug_class", "drug_class"]
    assert list(frame["value"]) == ["all", "2009", "2021", "2009-12", "2021-01", "2021-02", "alpha", "beta", "zeta",
                                    NO_SUBSTANCE, "stimulant"]
    assert all(np.issubdtype(frame[c].dtype, np.integer) for c in ("posts", "a", "b"))
    assert frame["dimension"].map(DIMENSIONS.index).is_monotonic_increasing


def test_an_empty_tally():
    tally = Tally(LABELS, gold=GOLD)
    frame = tally.counts()
    assert tally.posts == 0 and len(frame) == 0 and list(frame.columns) == ["dimension", "value", "posts", "a", "b"]
    assert len(tally.cooccurrence()) == 0 and list(tally.cooccurrence().columns) == ["posts", "a", "b"]
    assert len(tally.gold_frame()) == 0


def test_cooccurrence_by_substance_and_class():
    tally = Tally(LABELS)
    tally.add(tag_rows(ROWS))
    substances = tally.cooccurrence("substance")
    assert substances.index.name == "substance" and list(substances.columns) == ["posts", "a", "b"]
    assert substances.index[0] == "heroin"  # most named first
    assert substances.to_dict("index") == {"heroin": {"posts": 2, "a": 2, "b": 1},
                                           "alprazolam": {"posts": 1, "a": 1, "b": 1},
                                           "kratom": {"posts": 1, "a": 0, "b": 1}}
    classes = tally.cooccurrence("drug_class")
    assert classes.index.name == "drug_class" and list(classes["posts"]) == sorted(classes["posts"], reverse=True)
    assert classes.loc["opioid"].tolist() == [2, 2, 1] and classes.loc[NO_SUBSTANCE].tolist() == [2, 0, 0]
    assert set(classes.index) == {"opioid", "benzodiazepine", "kratom", NO_SUBSTANCE}
    with pytest.raises(KeyError):
        tally.cooccurrence("month")


def test_gold_matching_by_corpus_id():
    tally = Tally(LABELS, gold=GOLD)
    tally.add(tag_rows(ROWS))
    assert tally.gold_matched == 3  # c1, c2, c3; "zz" has no gold and "unseen" was not analysed
    frame = tally.gold_frame()
    assert frame.index.name == "label"
    # a: c1 (gold 1, tagged), c2 (gold 1, not tagged), c3 unknown; b: c1 (gold 0), c2 unknown, c3 (gold 1, tagged)
    assert frame.to_dict("index") == {"a": {"posts": 2, "gold_positive": 2, "tagged_positive": 1},
                                      "b": {"posts": 2, "gold_positive": 1, "tagged_positive": 1}}
    # a label no matched post has a gold value for is left out
    only_a = Tally(LABELS, gold={"c1": {"a": 0, "b": None}})
    only_a.add(tag_rows(ROWS))
    assert list(only_a.gold_frame().index) == ["a"] and only_a.gold_frame().loc["a"].tolist() == [1, 0, 1]
    # without gold the corpus ids are not read
    plain = Tally(LABELS)
    plain.add(tag_rows(ROWS))
    assert plain.gold_matched == 0 and len(plain.gold_frame()) == 0


def test_merge_of_parts_equals_the_tally_of_the_whole():
    more = ROWS + [("2019-03", "g3", ["heroin", "kratom"], ["kratom", "opioid"], "c2", ["b"]),
                   ("2020-01", "g1", ["sertraline"], ["ssri"], "c1", ["a", "b"])]
    whole = Tally(LABELS, gold=GOLD)
    whole.add(tag_rows(more))
    first, second = Tally(LABELS, gold=GOLD), Tally(LABELS, gold=GOLD)
    first.add(tag_rows(more[:3]))
    second.add(tag_rows(more[3:]))
    second.merge(first)  # order does not matter
    pd.testing.assert_frame_equal(second.counts(), whole.counts())
    for by in ("substance", "drug_class"):
        pd.testing.assert_frame_equal(second.cooccurrence(by).sort_index(), whole.cooccurrence(by).sort_index())
    pd.testing.assert_frame_equal(second.gold_frame(), whole.gold_frame())
    assert (second.posts, second.undated, second.gold_matched) == (whole.posts, whole.undated, whole.gold_matched) \
        == (7, 2, 5)
    with pytest.raises(ValueError, match="different label sets"):
        whole.merge(Tally(["a"]))


def test_record_batches_and_extra_columns_are_accepted():
    table = tag_rows(ROWS)
    by_table, by_batches = Tally(LABELS), Tally(LABELS)
    by_table.add(table.append_column("extra", pa.array(["x"] * len(ROWS))))
    for batch in table.select(["month", "group", "drugs", "drug_classes", "corpus_id", "labels"]).to_batches(2):
        by_batches.add(batch)
    pd.testing.assert_frame_equal(by_table.counts(), by_batches.counts())
