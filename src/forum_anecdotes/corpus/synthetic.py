"""Seeded synthetic forum data in Pushshift format, for benchmarks and tests.

The posts are made of invented sentences, handles and addresses: no real person's data.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import zstandard

_SENTENCES = (
    "I started on {drug} three weeks ago and the first days were rough.",
    "Has anyone else had brain zaps after dropping their {drug} dose?",
    "My doctor switched me from {drug} to something else because of the nausea.",
    "Honestly the {drug} helped my mood more than I expected.",
    "Be careful mixing {drug} with alcohol, that is how people get hurt.",
    "I have been clean for six months now and the cravings are finally fading.",
    "Does anybody know a good therapist who takes insurance?",
    "The weather has been terrible and I have not left the house all week.",
    "Ask {handle} about it, they posted a long write-up last month.",
    "There is a good summary at {url} if you want the research side.",
    "I tapered over eight weeks and still felt dizzy for a while.",
    "Work has been stressful and sleep is the first thing to go.",
)
_DRUGS = ("sertraline", "Lexapro", "ketamine", "Effexor", "kratom", "Xanax", "Suboxone", "weed", "Wellbutrin", "methadone")
_SUBREDDITS = ("ketamine", "antidepressants", "opiatesrecovery", "benzorecovery", "depression", "askdocs")


def _text(rng: random.Random, n_sentences: int) -> str:
    out = []
    for _ in range(n_sentences):
        sentence = rng.choice(_SENTENCES)
        out.append(sentence.format(drug=rng.choice(_DRUGS), handle=f"u/synthetic_user_{rng.randrange(5000)}",
                                   url=f"https://example.org/post/{rng.randrange(10**6)}?ref=share"))
    return " ".join(out)


def write_pushshift_sample(path: str | Path, *, posts: int, seed: int = 0, comments_per_thread: int = 9, compress: bool = False) -> Path:
    """Write ``posts`` Pushshift-format records (submissions, each followed by its comments).

    Args:
        path: the file to write (``.zst`` is added when compressing).
        posts: how many records in all.
        seed: the random seed; the same seed gives the same file.
        comments_per_thread: comments after each submission; each replies to the submission or to
            an earlier comment of the thread.
        compress: write zstd-compressed NDJSON.

    Returns:
        The path written.
    """
    rng = random.Random(seed)
    path = Path(path)
    if compress and path.suffix != ".zst":
        path = path.with_name(path.name + ".zst")
    raw = open(path, "wb")
    sink = zstandard.ZstdCompressor(level=3).stream_writer(raw) if compress else raw
    try:
        written = 0
        thread_no = 0
        created = 1_546_300_800  # 2019-01-01
        while written < posts:
            thread_no += 1
            submission_id = f"s{thread_no:x}"
            created += rng.randrange(30, 600)
            comment_ids = []
            record = {"id": submission_id, "author": f"synthetic_user_{rng.randrange(5000)}", "created_utc": created,
                      "subreddit": rng.choice(_SUBREDDITS), "title": _text(rng, 1), "selftext": _text(rng, rng.randrange(2, 8))}
            sink.write((json.dumps(record) + "\n").encode("utf-8"))
            written += 1
            for c in range(min(comments_per_thread, posts - written)):
                comment_id = f"c{thread_no:x}x{c}"
                parent = f"t1_{rng.choice(comment_ids)}" if comment_ids and rng.random() < 0.5 else f"t3_{submission_id}"
                record = {"id": comment_id, "author": f"synthetic_user_{rng.randrange(5000)}",
                          "created_utc": created + rng.randrange(60, 86_400), "subreddit": record["subreddit"],
                          "link_id": f"t3_{submission_id}", "parent_id": parent, "body": _text(rng, rng.randrange(1, 6))}
                sink.write((json.dumps(record) + "\n").encode("utf-8"))
                comment_ids.append(comment_id)
                written += 1
    finally:
        sink.close()
        if not raw.closed:
            raw.close()
    return path
