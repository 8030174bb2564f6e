"""The prevalence report: files, figures, Markdown content, small-cell marking, aggregates only."""
import numpy as np
import pandas as pd
import pytest

from forum_anecdotes.analysis.prevalence import ErrorRates, prevalence_table
from forum_anecdotes.analysis.report import write_report
from forum_anecdotes.labels import LABEL_NAMES

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
COMMAND = "forum-anecdotes analyse corpus/posts.parquet --out reports/prevalence --seed 7"
RATES = {name: ErrorRates(tp=90, fp=10, tn=190, fn=10) for name in LABEL_NAMES}
RATES["ssri_withdrawal"] = ErrorRates(tp=4, fp=15, tn=223, fn=10)  # like the real, shaky one


def make_inputs():
    rng = np.random.default_rng(0)
    cells = [("overall", "all", 3000)] + [("year", str(y), n) for y, n in ((2014, 12), (2015, 900), (2016, 1100))]
    cells += [("month", "2015-03", 80), ("group", "opiates", 1500), ("group", "antidepressants", 1200)]
    cells += [("drug_class", "opioid", 1400), ("drug_class", "ssri", 900), ("drug_class", "dissociative", 20)]
    rows = []
    for dimension, value, posts in cells:
        tagged = rng.binomial(posts, [0.3, 0.2, 0.05, 0.25, 0.6])
        rows.append({"dimension": dimension, "value": value, "posts": posts, **dict(zip(LABEL_NAMES, tagged))})
    counts = pd.DataFrame(rows)
    table = prevalence_table(counts, RATES, n_draws=200)
    names = [f"substance_{i:02d}" for i in range(25)]
    posts = np.r_[rng.integers(40, 400, 24), 10]  # the last one is small
    subs = pd.DataFrame({"posts": posts, **{n: rng.binomial(posts, 0.3) for n in LABEL_NAMES}},
                        index=pd.Index(names, name="substance"))
    classes = pd.DataFrame({"posts": [500, 300], **{n: [100, 60] for n in LABEL_NAMES}},
                           index=pd.Index(["opioid", "ssri"], name="drug_class"))
    gold = pd.DataFrame({"posts": [200, 150], "gold_positive": [60, 20], "tagged_positive": [64, 30]},
                        index=pd.Index(["effect_beneficial", "abuse_harm"], name="label"))
    meta = {"command": COMMAND, "input": "corpus/posts.parquet", "posts": 3000, "rejected": 2, "skipped": 5,
            "engine": "local", "model": {"name": "minilm-anecdotes", "version": "3"}, "seconds": 12.5,
            "date": "2025-01-02"}
    return table, subs, classes, gold, meta


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    table, subs, classes, gold, meta = make_inputs()
    out = tmp_path_factory.mktemp("report")
    paths = write_report(out, table=table, cooccurrence_substances=subs, cooccurrence_classes=classes, gold=gold,
                         rates=RATES, meta=meta, n_draws=200)
    return out, paths, table


def test_files_written_and_pngs_valid(report):
    out, paths, _ = report
    names = {p.name for p in paths}
    assert names == {"prevalence.csv", "cooccurrence_substances.csv", "cooccurrence_classes.csv", "gold_comparison.csv",
                     "error_rates.csv", "prevalence_by_year.png", "prevalence_by_class.png", "cooccurrence.png",
                     "report.md"}
    assert all(p.exists() and p.parent == out for p in paths)
    for name in ("prevalence_by_year.png", "prevalence_by_class.png", "cooccurrence.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5000
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_csvs_hold_the_tables(report):
    out, _, table = report
    csv = pd.read_csv(out / "prevalence.csv")
    assert len(csv) == len(table) and "2015-03" in set(csv["value"].astype(str))
    errors = pd.read_csv(out / "error_rates.csv", index_col="label")
    assert errors.at["ssri_withdrawal", "tp"] == 4 and errors.at["ssri_withdrawal", "fn"] == 10
    gold = pd.read_csv(out / "gold_comparison.csv", index_col="label")
    assert list(gold.index) == ["effect_beneficial", "abuse_harm"] and "covers" in gold.columns
    subs = pd.read_csv(out / "cooccurrence_substances.csv", index_col="substance")
    assert subs.at["substance_24", "small"]
    assert subs.at["substance_00", "share_first_hand"] == pytest.approx(
        subs.at["substance_00", "first_hand"] / subs.at["substance_00", "posts"])


def test_markdown_content(report):
    out, _, _ = report
    md = (out / "report.md").read_text(encoding="utf-8")
    assert f"```\n{COMMAND}\n```" in md
    assert "12.5 s" in md and "minilm-anecdotes 3" in md
    for name in LABEL_NAMES:
        assert name in md
    for heading in ("## Overall", "## By year", "## By group", "## By substance class", "## Comparison with gold labels",
                    "## Error rates", "Rogan–Gladen", "Assumption"):
        assert heading in md
    assert "2015-03" not in md  # months only in the CSV
    for png in ("prevalence_by_year.png", "prevalence_by_class.png", "cooccurrence.png"):
        assert f"]({png})" in md
    # the 12-post year is small: every label's cell is in parentheses with the marker, never bold
    year_2014 = next(line for line in md.splitlines() if line.startswith("| 2014 |"))
    assert year_2014.count(")†") == len(LABEL_NAMES)
    assert "**(" not in md and "†**" not in md
    assert "† Small cell" in md
    # ssri_withdrawal: 5% tagged, below its 6.3% false-positive rate, so corrected is clipped to 0 and marked
    assert "‡ Corrected value clipped" in md and "0.0 [" in md and "]‡" in md
    # co-occurrence: the top 15 substances by posts, the small one excluded
    assert md.count("| substance_") == 15


def test_without_gold_no_gold_section(tmp_path):
    table, subs, classes, _, _ = make_inputs()
    paths = write_report(tmp_path, table=table, cooccurrence_substances=subs.head(3), cooccurrence_classes=classes,
                         gold=pd.DataFrame(), rates=RATES, meta={"command": "x"})
    assert "gold_comparison.csv" not in {p.name for p in paths}
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Comparison with gold" not in md and "```\nx\n```" in md


def test_refuses_text_and_missing_command(tmp_path):
    table, subs, classes, gold, meta = make_inputs()
    kwargs = {"cooccurrence_substances": subs, "cooccurrence_classes": classes, "gold": gold, "rates": RATES}
    with pytest.raises(ValueError, match="text"):
        write_report(tmp_path, table=table.assign(text="I took 20 mg"), meta=meta, **kwargs)
    with pytest.raises(ValueError, match="body"):
        write_report(tmp_path, table=table, meta=meta, **{**kwargs, "cooccurrence_substances": subs.assign(body="x")})
    with pytest.raises(ValueError, match="command"):
        write_report(tmp_path, table=table, meta={**meta, "command": ""}, **kwargs)
    assert not list(tmp_path.iterdir())  # nothing written before the checks
