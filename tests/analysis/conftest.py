"""Fixtures shared by the analysis tests: the tiny random model with a report, one torch thread, and a
small seeded folder of synthetic posts (JSONL and CSV) with one malformed line."""
import csv
import datetime as dt
import json
import random
import sys
import types
from pathlib import Path

import pytest
import torch

from forum_anecdotes.labels import LABEL_NAMES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "tag"))
from tiny_model import build_tiny_model  # noqa: E402

#: The pseudonymisation key of the tests (the pipeline's; it decides no tag).
KEY = b"forum-anecdotes-test-key-0123456789"
#: A sentence planted in some posts: it must appear in no file the analysis writes.
PLANTED = "Marigold zeppelins hum quietly above the abandoned tram depot"
#: Posts per file of the synthetic folder (the JSONL file also has one malformed line).
N_JSONL, N_CSV = 150, 110

SUBSTANCE_WORDS = ("heroin", "xanax", "sertraline", "kratom", "methadone", "gabapentin", "alcohol")
FILLER = ("I have been feeling", "my doctor said", "the first week was", "withdrawal is rough and",
          "sleep got better after", "honestly not sure about", "day three of tapering", "cravings at night when",
          "mood is flat since", "I switched last month because")
TAILS = ("and it helped a bit.", "which scared me.", "so I stopped.", "and now I feel okay.", "again today.")


@pytest.fixture(scope="module", autouse=True)
def one_thread(one_torch_thread):
    """Every test here runs with one torch thread (see ``one_torch_thread``)."""


def tiny_report(name: str = "tiny-test") -> dict:
    """A ``report.json`` with the confusion counts :func:`error_rates_from_report` reads, for every label."""
    labels = {}
    for i, label in enumerate(LABEL_NAMES):
        support, predicted, recall = 40 + 5 * i, 45 + 3 * i, 0.8  # tp = 0.8 * support, a whole number
        tp = round(recall * support)
        labels[label] = {"n_known": 300, "support": support, "predicted": predicted, "recall": recall,
                         "precision": tp / predicted}
    return {"model": name, "systems": {name: {"overall": {"labels": labels}}}}


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """The tiny model (``tiny-test``) with a ``report.json`` beside it."""
    folder = build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")
    name = json.loads((folder / "tagger.json").read_text(encoding="utf-8"))["name"]
    (folder / "report.json").write_text(json.dumps(tiny_report(name)), encoding="utf-8")
    return folder


def _text(rng: random.Random, i: int) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        sentence = f"{rng.choice(FILLER)} {rng.choice(SUBSTANCE_WORDS) if rng.random() < 0.6 else 'it'} {rng.choice(TAILS)}"
        parts.append(sentence[0].upper() + sentence[1:])
    if i % 17 == 0:
        parts.append("Write to me at moss.lantern@example.org or ask u/somebody_else.")
    if i % 23 == 0:
        parts.append(PLANTED + ".")
    return " ".join(parts)


def _created(rng: random.Random, i: int, *, csv_file: bool):
    """``(date field, its UTC month)``: every form the analysis reads (ISO dates, ISO with Z, Unix seconds as a
    number or text); some posts have none."""
    if i % 19 == 0:
        return None, None
    moment = dt.datetime(2018, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=rng.randint(0, 3 * 365), hours=rng.randint(0, 23))
    month, kind = moment.strftime("%Y-%m"), i % 3
    if kind == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), month
    if kind == 1:
        return moment.strftime("%Y-%m-%d"), month
    seconds = int(moment.timestamp())
    return (str(seconds) if csv_file else seconds), month


def write_posts_folder(folder: Path, *, seed: int = 0) -> types.SimpleNamespace:
    """Write ``forum_a.jsonl`` (with a malformed line) and ``forum_b.csv`` into ``folder``.

    Returns:
        ``dir``, ``files``, ``posts`` (valid posts: ``{id: {"text", "month", "group"}}``), ``bad_file``,
        ``bad_line`` (the malformed JSON line) and ``planted``.
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    posts = {}
    jsonl, bad_line = folder / "forum_a.jsonl", 41
    with open(jsonl, "w", encoding="utf-8") as f:
        line = 0
        for i in range(N_JSONL):
            line += 1
            if line == bad_line:
                f.write('{"id": "a-broken", "text": "this line never closes\n')
                line += 1
            created, month = _created(rng, i, csv_file=False)
            record = {"id": f"a{i:03d}", "text": _text(rng, i), "created": created}
            if i % 5 == 0:
                record["title"] = f"Question about {rng.choice(SUBSTANCE_WORDS)}"
            f.write(json.dumps(record) + "\n")
            posts[record["id"]] = {"text": record["text"], "month": month, "group": "forum_a"}
    with open(folder / "forum_b.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "created", "author"])
        for i in range(N_CSV):
            (created, month), text = _created(rng, i + 1, csv_file=True), _text(rng, i + 1)
            writer.writerow([f"b{i:03d}", text, "" if created is None else created, f"user_{i % 7}"])
            posts[f"b{i:03d}"] = {"text": text, "month": month, "group": "forum_b"}
    return types.SimpleNamespace(dir=folder, files=[jsonl, folder / "forum_b.csv"], posts=posts, bad_file=jsonl,
                                 bad_line=bad_line, planted=PLANTED)


@pytest.fixture(scope="session")
def posts_folder(tmp_path_factory):
    """The synthetic posts folder (read-only for the tests: copy it to change it)."""
    return write_posts_folder(tmp_path_factory.mktemp("posts") / "posts")


@pytest.fixture(scope="session")
def local_run(tmp_path_factory, model_dir, posts_folder):
    """The local engine on the synthetic folder, recording the bad line (chunks of 64 posts: several per file).

    Returns:
        ``tags_dir``, ``posts`` (the count returned), ``rejects`` and ``job``.
    """
    from forum_anecdotes.analysis.engines import TagJob, run_local
    from forum_anecdotes.analysis.inputs import InputOptions, input_files
    from forum_anecdotes.io import Rejects

    job = TagJob(model_dir=model_dir, key=KEY, chunk_size=64)
    tags_dir = tmp_path_factory.mktemp("local") / "tags"
    rejects = Rejects(skip_bad=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        posts = run_local(input_files(posts_folder.dir), options=InputOptions(), job=job, tags_dir=tags_dir,
                          rejects=rejects)
    finally:
        torch.set_num_threads(threads)
    return types.SimpleNamespace(tags_dir=tags_dir, posts=posts, rejects=rejects, job=job)
