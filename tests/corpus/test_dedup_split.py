import numpy as np

from forum_anecdotes.corpus import dedup, split
from forum_anecdotes.schema import SPLITS

BASE = ("I tapered off sertraline over eight weeks and the brain zaps were worst in the second week, "
        "then they faded slowly while my sleep came back to normal by the end of the month.")


def _fingerprints(texts):
    prints = [dedup.fingerprint(t) for t in texts]
    eligible = np.array([p is not None for p in prints])
    exact = np.array([p[0] if p else 0 for p in prints], dtype=np.uint64)
    bands = np.array([p[1] if p else np.zeros(dedup.BANDS, np.uint64) for p in prints], dtype=np.uint64)
    return exact, bands, eligible


def test_exact_near_and_distinct_posts_are_told_apart():
    texts = [
        BASE,
        BASE.upper() + "  ",  # the same after normalisation
        BASE.replace("by the end of the month", "by the end of that month"),  # one word changed
        "Completely different: my dog ate my homework and the bus was late again this morning, sadly.",
        "thanks!",  # too short to compare
        "thanks!",
    ]
    exact, bands, eligible = _fingerprints(texts)
    exact_dup, near_dup = dedup.find_duplicates(exact, bands, eligible)
    assert exact_dup.tolist() == [False, True, False, False, False, False]
    assert near_dup.tolist() == [False, False, True, False, False, False]


def test_later_occurrences_marks_only_repeats_among_eligible():
    keys = np.array([5, 3, 5, 5, 3], dtype=np.uint64)
    eligible = np.array([True, True, False, True, True])
    assert dedup.later_occurrences(keys, eligible).tolist() == [False, False, False, True, True]


def test_split_is_a_function_of_source_and_thread_and_follows_the_fractions():
    draws = [split.thread_draws("rmhd", f"thread-{i}")[0] for i in range(20_000)]
    assigned = [split.split_for_draw(d) for d in draws]
    shares = {s: assigned.count(s) / len(assigned) for s in SPLITS}
    for s, fraction in split.SPLIT_FRACTIONS.items():
        assert abs(shares[s] - fraction) < 0.01
    assert split.thread_draws("rmhd", "thread-1") == split.thread_draws("rmhd", "thread-1")
    assert split.thread_draws("rmhd", "thread-1") != split.thread_draws("opiates", "thread-1")
