"""A small raw-data folder laid out like shared/data, written for the tests with invented people and text."""
from __future__ import annotations

import csv
import gzip
import random
import shutil
from pathlib import Path

import openpyxl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEEDS = FIXTURES / "seeds"
REDDIT_THREADS = FIXTURES / "reddit_threads"

# Threads without substances, each different (so that deduplication leaves them all).
_WORDS = ("river boats evening walk quiet friends weekend music garden window coffee rain train city dinner "
          "letter photo bicycle library morning sunset kitchen neighbour holiday project market").split()

RMHD_ROWS = [
    ("depression", "mossy_lantern_77", "2019/03/14", "Started sertraline last month and my mood is finally lifting. Mail me at moss@example.org if you want to talk."),
    ("depression", "mossy_lantern_77", "2019/03/20", "Third week on sertraline; sleep is better but I feel flat. Thanks u/tidal_heron_42 for the advice."),
    ("addiction", "tidal_heron_42", "2019/05/02", "Day 40 without heroin. The cravings at night are the worst part, but I keep going."),
    ("personalfinance", "copper_kettle_9", "2019/06/11", "How do I set up an emergency fund when my income changes every month?"),
    ("personalfinance", "copper_kettle_9", "2019/06/12", "How do I set up an emergency fund when my income changes every month?"),
    ("guns", "[deleted]", "2019/07/01", "Looking for advice on a safe to store things at home, any brand that holds up well?"),
] + [("lonely", f"quiet_person_{i:03d}", "2019/08/01", " ".join(random.Random(i).sample(_WORDS, 14))) for i in range(40)]

OPIATES_ROWS = [
    ("1", 'W/D kicking in and my plug is dry, tried kratom but it barely touches it  ""', "Positive"),
    ("2", 'Lol ""', "Negative"),
    ("3", '. ""', "Negative"),
    ("4", "Generic message! *I am a bot, and this action was performed automatically. Please contact the moderators.*", "Positive"),
    ("5", 'Been on suboxone 8mg for a year, it gave me my life back  ""', "Positive"),
    # a second export appended to the file: its index starts again
    ("1", 'Switched from oxy to methadone last spring and the clinic has been decent  ""', "Negative"),
]

PSYTAR_SAMPLE = [
    ("drug_id", "side-effect", "comment", "gender", "age", "date"),
    ("zoloft.1", "Nausea and headaches the first week.", "It helped my anxiety a lot after a month.", "F", 34, "4/12/2011Email"),
    ("zoloft.2", "Brain zaps when I missed doses.", "Stopping it was hard; the withdrawal lasted weeks.", "M", 52, None),
]
PSYTAR_SENTENCES = [
    ("drug_id", "sentence_index", "sentences", "ADR", "WD", "EF"),
    ("zoloft.1", 1, "Nausea and headaches the first week.", 1, None, None),
    ("zoloft.1", 2, "It helped my anxiety a lot after a month.", None, None, 1),
    ("zoloft.2", 1, "Brain zaps when I missed doses.", None, 1, None),
    ("zoloft.2", 2, "Stopping it was hard; the withdrawal lasted weeks.", None, 1, None),
    ("zoloft.2", 3, "Write to sam.doe@example.org for my taper plan.", None, None, None),
    ("zoloft.2", 4, " ", None, None, None),  # an empty sentence, as the real sheet has a few
    (None, None, None, None, None, None),  # a blank row
]


def write_raw_dir(root: Path) -> Path:
    """Write seeds/, psytar/, rmhd/, opiates/ and reddit_threads/ under ``root`` and return it."""
    shutil.copytree(SEEDS, root / "seeds")
    shutil.copytree(REDDIT_THREADS, root / "reddit_threads")
    plain = root / "reddit_threads" / "opiates" / "submissions.csv"  # committed plain, read gzipped as in shared/data
    (plain.parent / "submissions.csv.gz").write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    plain.unlink()
    (root / "rmhd").mkdir()
    with open(root / "rmhd" / "rmhd_27subreddits_260posts.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["subreddit", "author", "date", "post"])
        writer.writerows(RMHD_ROWS)
    (root / "opiates").mkdir()
    with open(root / "opiates" / "r_opiates_partial.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["index", "tweet", "label"])
        writer.writerows(OPIATES_ROWS)
    (root / "psytar").mkdir()
    workbook = openpyxl.Workbook()
    workbook.active.title = "Sample"
    for row in PSYTAR_SAMPLE:
        workbook["Sample"].append(row)
    sheet = workbook.create_sheet("Sentence_Labeling")
    for row in PSYTAR_SENTENCES:
        sheet.append(row)
    workbook.save(root / "psytar" / "PsyTAR_dataset.xlsx")
    return root
