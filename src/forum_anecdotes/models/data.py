"""Training data: the gold posts of the corpus, and their windows as a torch Dataset.

Gold posts are those with at least one known gold value (:func:`forum_anecdotes.schema.label_matrix`
applies the gold policy). Unknown stays apart from 0 all the way to the loss: every post carries a
value and a known flag per label, and the loss ignores unknown values.

The frame of :func:`load_training_data` has one row per gold post: ``post_id``, ``thread_id``,
``source``, ``split``, ``text`` (title and text joined, title first), then per label ``<label>``
(0/1, 0 where unknown) and ``<label>_known`` (bool). :func:`label_arrays` turns those columns back
into arrays.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from forum_anecdotes import paths
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models.windows import join_title, make_windows


def known_column(name: str) -> str:
    """The frame's column that says whether label ``name`` is known."""
    return f"{name}_known"


def load_training_data(*, raw_dir: str | os.PathLike | None, key: bytes | None,
                       corpus_dir: str | os.PathLike = paths.CORPUS_DIR) -> pd.DataFrame:
    """The gold posts of the corpus, with withheld text re-attached (in memory only).

    Args:
        raw_dir: the raw-data folder, to re-attach the text the corpus withholds (PsyTAR,
            reddit_threads); None leaves those posts without text, and they are dropped.
        key: the pseudonymisation key the corpus was built with.
        corpus_dir: the corpus folder.

    Returns:
        One row per gold post with text (see the module docstring), in corpus order.
    """
    from forum_anecdotes.annotation.gold import corpus_frame
    from forum_anecdotes.schema import label_matrix

    posts = corpus_frame(corpus_dir=corpus_dir, raw_dir=Path(raw_dir) if raw_dir else None, key=key)
    values, known = label_matrix(posts["labels"])
    gold = known.any(axis=1)
    posts, values, known = posts[gold], values[gold], known[gold]
    frame = pd.DataFrame({
        "post_id": posts["post_id"].to_numpy(), "thread_id": posts["thread_id"].to_numpy(),
        "source": posts["source"].to_numpy(), "split": posts["split"].to_numpy(),
        "text": [join_title(t, x) for t, x in zip(posts["title"], posts["text"])],
    })
    for j, name in enumerate(LABEL_NAMES):
        frame[name] = values[:, j].astype(np.int8)
        frame[known_column(name)] = known[:, j]
    # A post whose text could not be re-attached would train on its title alone, or on nothing.
    has_text = np.array([isinstance(x, str) and bool(x.strip()) for x in posts["text"]])
    return frame[has_text].reset_index(drop=True)


def psytar_sentence_rows(posts: pd.DataFrame, *, raw_dir: str | os.PathLike, key: bytes | None) -> pd.DataFrame:
    """PsyTAR's labelled sentences of the PsyTAR reviews among ``posts``, as extra training rows.

    PsyTAR labels each sentence, and a review's label says only that some sentence carries it.
    Training on the sentences as well shows the model where in a review a withdrawal or an effect
    is reported, and adds sentence-level examples of ``ssri_withdrawal``, the rarest label. Each row
    is one sentence, anonymised as a post's text is, with the labels PsyTAR annotates known (1 for
    the sentence's codes, else 0) and the other labels unknown. It keeps its review's ``post_id``,
    ``thread_id`` and ``split``, so it never crosses the corpus's splits. Sentences with no text
    are left out.

    A review's gold value may come from annotators working under the project's guide rather than
    from PsyTAR (the gold policy ranks them higher). Where PsyTAR's review-level value (some
    sentence carries the code) differs from the review's gold value, or the gold value is unknown,
    PsyTAR's sentence values for that label contradict the gold, so they are left unknown for all
    the review's sentences.

    Args:
        posts: a training frame (:func:`load_training_data`); only its PsyTAR reviews are used.
        raw_dir: the raw-data folder holding the PsyTAR workbook.
        key: the pseudonymisation key (for sources whose ids are not public).

    Returns:
        A frame in the format of :func:`load_training_data`, in workbook order (empty when no
        PsyTAR review is among ``posts``).
    """
    from forum_anecdotes.corpus.anonymise import TextScrubber
    from forum_anecdotes.corpus.importers.psytar import PSYTAR_LABEL_MAP, read_labelled_sentences
    from forum_anecdotes.corpus.sources import BUILTIN_SOURCES
    from forum_anecdotes.ids import published_id

    spec = next(s for s in BUILTIN_SOURCES if s.importer == "psytar")
    reviews = posts[posts["source"] == spec.name].set_index("post_id")
    rows: list[dict] = []
    if not reviews.empty:
        scrubber = TextScrubber()
        sentences = [(published_id(spec.name, s.review_id, key=key, public=spec.public_ids), s)
                     for s in read_labelled_sentences(spec.resolve(Path(raw_dir)))]
        sentences = [(post_id, s) for post_id, s in sentences if post_id in reviews.index]
        psytar_says: dict[tuple[str, str], int] = {}  # (post_id, label) -> PsyTAR's review-level value
        for post_id, sentence in sentences:
            for name, value in sentence.labels.items():
                psytar_says[post_id, name] = max(psytar_says.get((post_id, name), 0), int(value))
        for post_id, sentence in sentences:
            if not sentence.text.strip():
                continue
            review = reviews.loc[post_id]
            row = {"post_id": post_id, "thread_id": review["thread_id"], "source": spec.name,
                   "split": review["split"], "text": scrubber.scrub(sentence.text).text}
            for name in LABEL_NAMES:
                agrees = bool(review[known_column(name)]) and int(review[name]) == psytar_says.get((post_id, name), 0)
                row[name] = sentence.labels.get(name, 0) if agrees else 0
                row[known_column(name)] = name in PSYTAR_LABEL_MAP.values() and agrees
            rows.append(row)
    frame = pd.DataFrame(rows, columns=["post_id", "thread_id", "source", "split", "text",
                                        *(c for n in LABEL_NAMES for c in (n, known_column(n)))])
    return frame.astype({**{n: np.int8 for n in LABEL_NAMES}, **{known_column(n): bool for n in LABEL_NAMES}})


def label_arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(values, known)`` of a training frame: float32 and bool arrays, posts x labels."""
    values = frame[list(LABEL_NAMES)].to_numpy(dtype=np.float32)
    known = frame[[known_column(n) for n in LABEL_NAMES]].to_numpy(dtype=bool)
    return values * known, known


class WindowDataset(torch.utils.data.Dataset):
    """The windows of a set of posts, tokenized once, each carrying its post's labels.

    Item ``i`` is a dict: ``input_ids`` (list of ints, special tokens included, at most
    ``max_tokens``), ``post`` (the row of its post in ``frame``, for pooling window logits into
    post logits), ``values`` and ``known`` (float tensors, one entry per label).

    Args:
        frame: a training frame (:func:`load_training_data`), any subset of its rows.
        tokenizer: the model's tokenizer.
        max_tokens: window length, special tokens included.
        stride_sentences: sentences shared by consecutive windows.
    """

    def __init__(self, frame: pd.DataFrame, tokenizer, *, max_tokens: int = 256, stride_sentences: int = 2):
        values, known = label_arrays(frame)
        self.posts: list[int] = []
        texts: list[str] = []
        for row, text in enumerate(frame["text"]):
            windows = make_windows(text, tokenizer, max_tokens=max_tokens, stride_sentences=stride_sentences)
            texts += windows
            self.posts += [row] * len(windows)
        # truncation is a safety net only: windows are packed to fit already
        self.input_ids: list[list[int]] = tokenizer(texts, truncation=True, max_length=max_tokens)["input_ids"] if texts else []
        self.values = torch.from_numpy(values)
        self.known = torch.from_numpy(known.astype(np.float32))
        self.num_posts = len(frame)
        self.pad_id = tokenizer.pad_token_id or 0

    def __len__(self) -> int:
        return len(self.input_ids)

    def __getitem__(self, i: int) -> dict:
        post = self.posts[i]
        return {"input_ids": self.input_ids[i], "post": post, "values": self.values[post], "known": self.known[post]}

    @property
    def lengths(self) -> list[int]:
        """Token count of each window (for bucketing by length)."""
        return [len(ids) for ids in self.input_ids]

    def collate(self, items: list[dict]) -> dict[str, torch.Tensor]:
        """Pad a list of items into a batch: ``input_ids``, ``attention_mask``, ``post``, ``values``, ``known``."""
        width = max(len(it["input_ids"]) for it in items)
        ids = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for r, it in enumerate(items):
            ids[r, :len(it["input_ids"])] = torch.tensor(it["input_ids"])
            mask[r, :len(it["input_ids"])] = 1
        return {"input_ids": ids, "attention_mask": mask, "post": torch.tensor([it["post"] for it in items]),
                "values": torch.stack([it["values"] for it in items]), "known": torch.stack([it["known"] for it in items])}


def length_buckets(lengths: list[int], batch_size: int, *, generator: torch.Generator | None = None,
                   shuffle: bool = True, pool: int = 50) -> list[list[int]]:
    """Batches of window indices with similar lengths, so that little of each batch is padding.

    When shuffling, the indices are shuffled, cut into pools of ``pool`` batches, each pool is
    sorted by length and cut into batches, and the batches are shuffled: batches are nearly
    uniform in length yet their order and membership still change every epoch. Without
    shuffling, all indices are sorted by length (for prediction).

    Args:
        lengths: each window's token count.
        batch_size: windows per batch.
        generator: the random source (seeded by the caller for reproducible runs).
        shuffle: shuffle as above, or simply sort.
        pool: batches per sorting pool.

    Returns:
        The batches, as lists of indices into ``lengths``.
    """
    n = len(lengths)
    if not shuffle:
        order = sorted(range(n), key=lambda i: lengths[i])
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]
    order = torch.randperm(n, generator=generator).tolist()
    batches: list[list[int]] = []
    step = batch_size * pool
    for p in range(0, n, step):
        chunk = sorted(order[p:p + step], key=lambda i: lengths[i])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    permutation = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in permutation]
