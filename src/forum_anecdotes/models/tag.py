"""Tagging new posts with a trained model, exactly as it was evaluated.

Every post goes through the corpus's own per-post pipeline (:class:`~forum_anecdotes.corpus.process.PostPipeline`:
checks, site furniture, anonymisation) before the model sees it, so that the model reads text
prepared as its training text was, and no identifier in the input reaches the model or the output.
Then, following ``tagger.json`` (:mod:`.spec`): the post is cut into windows of sentences
(:func:`~forum_anecdotes.models.windows.make_windows`), the logits of its windows are pooled with
max, calibrated per label, and compared with the label's threshold (a label is positive when its
calibrated probability is at least the threshold).

Posts are read and tagged in chunks (:data:`CHUNK_POSTS`): memory stays flat however long the
input. Within a chunk, the windows of all posts are sorted by token length before batching, so a
batch pads only to the longest of similar lengths.

An output record is the input record with:

* the fields the pipeline reads replaced by what it made of them: the text (and a ``title``) as
  anonymised, an ``author`` as its pseudonym; every other field passes through unchanged;
* ``scores``: the calibrated probability per label (all labels, in the model's order);
* ``labels``: the labels at or over their thresholds;
* ``evidence``: for each positive label, the sentence whose own score for that label is highest
  (each sentence of the post read alone, as a one-sentence window); empty when the tagger runs
  without evidence, which saves that second forward pass;
* ``model``: ``{"name", "version"}`` from ``tagger.json``.

A post that is site furniture (a bot's message) is not a forum anecdote: it is passed over and
counted in the rejects' ``skipped`` counts, never tagged.
"""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import secrets
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from forum_anecdotes.corpus.process import FurniturePost, PostPipeline
from forum_anecdotes.io import (
    BadInput,
    Rejects,
    atomic_write,
    iter_binary_lines,
    iter_csv_rows,
    iter_json_lines,
)
from forum_anecdotes.models.modes import (  # noqa: F401 (re-exported)
    CPU_ONLY_MODES, FASTER_MODES, MODE_DESCRIPTIONS, MODES, ONNX_MODES)
from forum_anecdotes.models.spec import TaggerSpec, load_spec
from forum_anecdotes.models.windows import join_title, make_windows, sentence_split
from forum_anecdotes.schema import Origin, RawPost

#: Posts read, prepared and tagged together: the unit of memory. Large enough that the
#: length-sorted batches of one chunk are nearly padding-free, small enough to stay flat.
CHUNK_POSTS = 1024

DEVICES = ("cpu", "cuda")
FORMATS = ("jsonl", "parquet")

#: The fields a tagged record adds (they replace input fields of the same name).
TAG_FIELDS = ("scores", "labels", "evidence", "model")

#: The source name tagged posts carry through the pipeline (it only names them in messages).
SOURCE = "tag"

#: CPU flags that mean native bfloat16 arithmetic (AVX-512 BF16, AMX): without them torch
#: emulates bf16 and it is slower than fp32, so the mode is refused.
_NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


class ModeUnavailable(ValueError):
    """The requested device or precision mode cannot run on this machine (the message says why)."""


class OutputError(ValueError):
    """The tagged records cannot be written in the requested format (the message says why)."""


# --------------------------------------------------------------------------- machine and key


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as ``lscpu`` shows them (read from ``/proc/cpuinfo``; empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX)."""
    if cpu_flags() & _NATIVE_BF16_FLAGS:
        return True
    import torch

    # torch names AMX-capable CPUs in its capability string where /proc/cpuinfo is missing
    return "AMX" in torch.backends.cpu.get_cpu_capability().upper()


def check_mode(mode: str, device: str) -> None:
    """Refuse a device or mode this machine cannot run, before any model is loaded.

    Args:
        mode: one of :data:`MODES`.
        device: one of :data:`DEVICES`.

    Raises:
        ModeUnavailable: naming what is missing and what to use instead.
    """
    import torch

    if mode not in MODES:
        raise ModeUnavailable(f"unknown mode {mode!r}; the modes are {', '.join(MODES)}")
    if device not in DEVICES:
        raise ModeUnavailable(f"unknown device {device!r}; the devices are {', '.join(DEVICES)}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ModeUnavailable("--device cuda: no CUDA device is available to torch here; use --device cpu")
    if mode in CPU_ONLY_MODES and device != "cpu":
        raise ModeUnavailable(f"{mode} runs on the CPU only; use --device cpu, or fp32/bf16 on the GPU")
    if mode == "bf16":
        if device == "cuda" and not torch.cuda.is_bf16_supported():
            raise ModeUnavailable("bf16: this GPU has no bfloat16 support; use fp32")
        if device == "cpu" and not cpu_has_native_bf16():
            raise ModeUnavailable("bf16: this CPU has no native bfloat16 instructions (avx512_bf16 or amx_bf16), "
                                  "so bf16 would be emulated and slower than fp32; use fp32 or int8")


def pipeline_key() -> tuple[bytes, bool]:
    """The pseudonymisation key for the per-post pipeline.

    Tags keep the input's own ids, so the key only decides the pseudonyms of ``author`` fields:
    the project's key where one is configured (the same pseudonyms as the corpus), else a random
    key for this run.

    Returns:
        ``(key, ephemeral)``: ephemeral is True for a random key.

    Raises:
        forum_anecdotes.keys.KeyTooShort: a key is configured but too short (a mistake to fix,
            not to paper over with a random key).
    """
    from forum_anecdotes import keys

    try:
        return keys.load_key(), False
    except keys.KeyMissing:
        return secrets.token_bytes(32), True


# --------------------------------------------------------------------------- the tagger


@dataclasses.dataclass
class Counts:
    """What a tagger has run, for benchmarks and summaries.

    Args:
        posts: posts tagged.
        windows: windows read by the model (post windows and evidence sentences).
        tokens: real (non-padding) tokens read by the model.
        padded_tokens: tokens including padding (batch rows times batch width).
    """

    posts: int = 0
    windows: int = 0
    tokens: int = 0
    padded_tokens: int = 0


@dataclasses.dataclass
class PreparedPost:
    """One post after the per-post pipeline.

    Args:
        record: its output record so far (the input's fields, text, title and author as the pipeline made them).
        text: the text the model reads: the anonymised title and text together.
        drugs: the substances the lexicon finds in it (the corpus's ``drugs`` field).
        drug_classes: their classes (the corpus's ``drug_classes`` field).
    """

    record: dict[str, Any]
    text: str
    drugs: list[str] = dataclasses.field(default_factory=list)
    drug_classes: list[str] = dataclasses.field(default_factory=list)


class Tagger:
    """A trained model with its ``tagger.json``, ready to tag posts.

    Args:
        model_dir: the model folder (Hugging Face files and ``tagger.json``).
        device: "cpu" or "cuda".
        mode: "fp32"; "onnx-fp32", "int8" or "onnx-int8" (CPU); or "bf16" (GPU, or a CPU with native bf16);
            see :func:`check_mode`.
        batch_size: windows per forward pass.
        chunk_size: posts prepared and tagged together (see :data:`CHUNK_POSTS`).
        evidence: find the evidence sentence of each positive label (costs a forward pass over the
            sentences of posts with a positive label and more than one sentence).
        key: the pseudonymisation key; None: :func:`pipeline_key`.

    Raises:
        ModeUnavailable: for a device or mode this machine cannot run.
        ValueError: for a bad ``tagger.json``, or a model whose label map differs from it.
        OSError: for a folder without model or tokenizer files.
    """

    def __init__(self, model_dir: str | os.PathLike, *, device: str = "cpu", mode: str = "fp32", batch_size: int = 32,
                 chunk_size: int = CHUNK_POSTS, evidence: bool = True, key: bytes | None = None) -> None:
        from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

        if batch_size < 1 or chunk_size < 1:
            raise ValueError("batch_size and chunk_size must be at least 1")
        check_mode(mode, device)
        self.model_dir = Path(model_dir)
        self.spec: TaggerSpec = load_spec(model_dir)
        self.device, self.mode, self.batch_size, self.chunk_size = device, mode, batch_size, chunk_size
        self.evidence = evidence
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        config = AutoConfig.from_pretrained(model_dir)  # the label check needs no weights
        model_labels = [config.id2label[i] for i in range(config.num_labels)]
        if model_labels != list(self.spec.labels):
            raise ValueError(f"{self.model_dir}: the model's labels ({', '.join(model_labels)}) differ from "
                             f"tagger.json's ({', '.join(self.spec.labels)})")
        if mode in ONNX_MODES:
            from forum_anecdotes.models.onnx_runtime import OnnxSequenceClassifier, exported_onnx

            self.model = OnnxSequenceClassifier(exported_onnx(model_dir, precision=ONNX_MODES[mode]))
        else:
            model = AutoModelForSequenceClassification.from_pretrained(model_dir, config=config)
            self.model = _prepare_model(model.eval(), device=device, mode=mode)
        if key is None:
            key, self.ephemeral_key = pipeline_key()
        else:
            self.ephemeral_key = False
        self.pipeline = PostPipeline(key=key)
        self.max_tokens = int(self.spec.window["max_tokens"])
        self.stride_sentences = int(self.spec.window["stride_sentences"])
        self.counts = Counts()

    @property
    def model_info(self) -> dict[str, str]:
        """``{"name", "version"}`` of the model, as every tagged record carries it."""
        return {"name": self.spec.name, "version": self.spec.version}

    # ---------------------------------------------------------------- tagging

    def tag(self, posts: Iterable[dict[str, Any]], *, text_field: str = "text", id_field: str = "id",
            rejects: Rejects | None = None) -> Iterator[dict[str, Any]]:
        """Tag posts given as dicts (see the module docstring for the output).

        Args:
            posts: records with an id and a text field; other fields pass through. Read lazily,
                one chunk at a time.
            text_field: the field holding the post's text.
            id_field: the field holding the post's id (kept as it is).
            rejects: where bad posts go (default: raise); site furniture is counted in its ``skipped``.

        Yields:
            The tagged records, in input order.

        Raises:
            BadInput: for a post without text or id, or an empty or oversized one (its position in
                ``posts`` is given as the line of the file ``<posts>``), unless ``rejects`` records it.
        """
        located = ((Origin("<posts>", i), post) for i, post in enumerate(posts, start=1))
        return self.tag_located(located, text_field=text_field, id_field=id_field, rejects=rejects)

    def tag_located(self, items: Iterable[tuple[Origin, dict[str, Any]]], *, text_field: str = "text",
                    id_field: str = "id", rejects: Rejects | None = None) -> Iterator[dict[str, Any]]:
        """Tag posts that carry where they were read (so that errors name the file and line).

        Args:
            items: ``(origin, record)`` pairs, as :func:`read_posts` yields them.
            text_field, id_field, rejects: as for :meth:`tag`.

        Yields:
            The tagged records, in input order.
        """
        rejects = rejects if rejects is not None else Rejects()
        items = iter(items)
        while chunk := list(itertools.islice(items, self.chunk_size)):
            prepared = []
            for origin, record in chunk:
                try:
                    prepared.append(self.prepare(record, origin=origin, text_field=text_field, id_field=id_field))
                except BadInput as e:
                    rejects.handle(e, source=SOURCE)
                except FurniturePost as e:
                    rejects.skip(f"site furniture ({e.rule_id})", source=SOURCE)
            yield from self._tag_chunk(prepared)

    def prepare(self, record: dict[str, Any], *, origin: Origin = Origin("<posts>", 1), text_field: str = "text",
                id_field: str = "id") -> PreparedPost:
        """Run one input record through the per-post pipeline: :func:`prepare_record` with this tagger's pipeline."""
        return prepare_record(self.pipeline, record, origin=origin, text_field=text_field, id_field=id_field)

    def score(self, prepared: Sequence[PreparedPost]) -> list[tuple[dict[str, float], list[str]]]:
        """Windows, logits, pooling, calibration and thresholds for prepared posts (no evidence).

        Args:
            prepared: posts from :meth:`prepare`; all their windows are batched together by length.

        Returns:
            ``(scores, labels)`` per post, in order, as :meth:`decide` gives them.
        """
        if not prepared:
            return []
        owners, texts = [], []
        for i, post in enumerate(prepared):
            windows = self.windows(post.text)
            owners.extend([i] * len(windows))
            texts.extend(windows)
        window_logits = self.logits(texts)
        pooled = np.full((len(prepared), len(self.spec.labels)), -np.inf, dtype=np.float32)
        np.maximum.at(pooled, np.asarray(owners), window_logits)  # pooling "max": of logits, per label
        return [self.decide(row) for row in pooled]

    def _tag_chunk(self, prepared: list[PreparedPost]) -> Iterator[dict[str, Any]]:
        """Windows, logits, pooling, calibration, thresholds and evidence for one chunk of posts."""
        if not prepared:
            return
        decisions = self.score(prepared)
        evidence = self._evidence(prepared, decisions) if self.evidence else [{} for _ in prepared]
        for post, (scores, labels), found in zip(prepared, decisions, evidence):
            record = post.record
            record.update(scores=scores, labels=labels, evidence=found, model=self.model_info)
            self.counts.posts += 1
            yield record

    def windows(self, text: str) -> list[str]:
        """The windows the model reads of one (anonymised) post, as ``tagger.json`` sets them.

        Args:
            text: the post's text as the pipeline made it (title and text).

        Returns:
            The windows' texts, at least one.
        """
        return make_windows(text, self.tokenizer, max_tokens=self.max_tokens, stride_sentences=self.stride_sentences)

    def decide(self, logits: Sequence[float]) -> tuple[dict[str, float], list[str]]:
        """Calibrated probabilities and positive labels from a post's pooled logits.

        Args:
            logits: one raw logit per label, in the model's label order.

        Returns:
            ``(scores, labels)``: probability per label; labels whose probability is at least their threshold.
        """
        scores = {label: self.spec.calibrate(label, float(x)) for label, x in zip(self.spec.labels, logits)}
        labels = [label for label, p in scores.items() if p >= self.spec.thresholds[label]]
        return scores, labels

    def _evidence(self, prepared: list[PreparedPost], decisions: list[tuple[dict, list[str]]]) -> list[dict[str, str]]:
        """For each positive label of each post, the sentence that scores highest for it read alone."""
        found: list[dict[str, str]] = [{} for _ in prepared]
        spans, sentences = [], []  # (post, first row, end row) of each post's sentences
        for i, (post, (_, labels)) in enumerate(zip(prepared, decisions)):
            if not labels:
                continue
            parts = sentence_split(post.text) or [post.text]
            if len(parts) == 1:  # nothing to choose between: no forward pass needed
                found[i] = dict.fromkeys(labels, parts[0])
                continue
            spans.append((i, len(sentences), len(sentences) + len(parts)))
            sentences.extend(parts)
        logits = self.logits(sentences)  # all posts' sentences together, for full length-sorted batches
        for i, start, end in spans:
            for label in decisions[i][1]:
                best = start + int(np.argmax(logits[start:end, self.spec.labels.index(label)]))  # first of ties
                found[i][label] = sentences[best]
        return found

    # ---------------------------------------------------------------- the model

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw logits of texts, each read as one window, in length-sorted batches.

        Args:
            texts: the window texts (truncated to the spec's ``max_tokens`` if longer).

        Returns:
            float32 array, one row per text in the given order, one column per label.
        """
        if not texts:
            return np.zeros((0, len(self.spec.labels)), dtype=np.float32)
        ids = self.tokenizer(list(texts), truncation=True, max_length=self.max_tokens,
                             return_attention_mask=False, return_token_type_ids=False)["input_ids"]
        return self.logits_of_ids(ids)

    def logits_of_ids(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """Raw logits of tokenised windows: sorted by length, batched, padded only to each batch's longest.

        Args:
            ids: token ids of each window, special tokens included.

        Returns:
            float32 array, one row per window in the given order.
        """
        import torch

        out = np.empty((len(ids), len(self.spec.labels)), dtype=np.float32)
        # longest first: the largest batch comes first, so a memory problem shows at once
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]), reverse=True)
        pad = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start:start + self.batch_size]
                width = len(ids[rows[0]])
                batch = np.full((len(rows), width), pad, dtype=np.int64)
                mask = np.zeros((len(rows), width), dtype=np.int64)
                for r, i in enumerate(rows):
                    batch[r, :len(ids[i])] = ids[i]
                    mask[r, :len(ids[i])] = 1
                logits = self.model(input_ids=torch.from_numpy(batch).to(self.device),
                                    attention_mask=torch.from_numpy(mask).to(self.device)).logits
                out[rows] = logits.float().cpu().numpy()
                self.counts.windows += len(rows)
                self.counts.tokens += int(mask.sum())
                self.counts.padded_tokens += mask.size
        return out


def prepare_record(pipeline: PostPipeline, record: dict[str, Any], *, origin: Origin = Origin("<posts>", 1),
                   text_field: str = "text", id_field: str = "id") -> PreparedPost:
    """Run one input record through the per-post pipeline (checks, site furniture, anonymisation).

    Args:
        pipeline: the per-post pipeline (its key decides the authors' pseudonyms).
        record: the input record.
        origin: where it was read, for error messages.
        text_field, id_field: as for :meth:`Tagger.tag`.

    Returns:
        The prepared post.

    Raises:
        BadInput: for a missing text or id, or an empty or oversized post.
        FurniturePost: for site furniture.
    """
    text, post_id = record.get(text_field), record.get(id_field)
    if not isinstance(text, str):
        what = "missing" if text is None else f"not a string but {type(text).__name__}"
        raise BadInput(origin.file, origin.line, f"missing text: field {text_field!r} is {what}")
    if isinstance(post_id, bool) or not isinstance(post_id, (str, int)) or post_id == "":
        raise BadInput(origin.file, origin.line, f"missing id: field {id_field!r} must be a non-empty string or an integer")
    title, author = record.get("title"), record.get("author")
    title = title if isinstance(title, str) and title else None
    author = author if isinstance(author, str) and author else None
    raw = RawPost(source=SOURCE, native_id=str(post_id), thread_native_id=str(post_id), parent_native_id=None,
                  author=author, created=None, title=title, text=text, community="", origin=origin)
    done = pipeline.process(raw)  # each post read alone: its own [USER_n] numbering
    out = dict(record)
    out[text_field] = done.post.text
    if title is not None:
        out["title"] = done.post.title
    if author is not None:
        out["author"] = done.post.author
    # join_title, as training and evaluation join them, so that the model reads the same kind of input
    return PreparedPost(record=out, text=join_title(done.post.title, done.post.text),
                        drugs=list(done.post.drugs), drug_classes=list(done.post.drug_classes))


def _prepare_model(model, *, device: str, mode: str):
    """The model on its device in its precision mode (see :func:`check_mode`)."""
    import torch

    # the shipped weights are stored in fp16 to stay small; on CPU fp16 is slow and int8 quantisation
    # needs float32 weights, so every mode starts from float32
    model = model.float()
    if mode == "int8":
        # torch marks eager quantisation deprecated but it is the one dynamic int8 path that needs
        # no extra package; its warnings would only clutter every run's output
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    if mode == "bf16":
        model = model.to(torch.bfloat16)
    return model.to(device)


# --------------------------------------------------------------------------- reading and writing files


def input_kind(source: str | os.PathLike) -> str:
    """How an input is read: "text" (stdin ``-`` or ``.txt``, one post per line), "csv" or "jsonl".

    ``.gz`` and ``.zst`` are looked through (``posts.csv.zst`` is CSV).
    """
    if str(source) == "-":
        return "text"
    path = Path(source)
    suffix = Path(path.stem).suffix if path.suffix in (".gz", ".zst") else path.suffix
    return {".csv": "csv", ".txt": "text"}.get(suffix.lower(), "jsonl")


def read_posts(source: str | os.PathLike, *, text_column: str = "text", id_column: str = "id", rejects: Rejects,
               stdin=None) -> Iterator[tuple[Origin, dict[str, Any]]]:
    """Stream the posts of an input file, with where each was read.

    Args:
        source: a JSONL file (``id`` and text per line; other fields pass through), a CSV file with a
            header, a text file, or ``-`` for plain text on stdin (one post per line; the id is the
            line number). ``.gz`` and ``.zst`` files are read as streams.
        text_column: the field or column of the text (also the field a text line becomes).
        id_column: the field or column of the id (also the field a text line's number becomes).
        rejects: where unreadable lines go (raised, or recorded with ``--skip-bad``).
        stdin: the binary stream read for ``-`` (default: the process's stdin).

    Yields:
        ``(origin, record)`` per post.
    """
    kind = input_kind(source)
    if kind == "csv":
        for line_no, row in iter_csv_rows(source, required=[text_column, id_column], rejects=rejects, source=SOURCE):
            yield Origin(str(source), line_no), row
    elif kind == "jsonl":
        for line_no, obj in iter_json_lines(source, rejects=rejects, source=SOURCE):
            yield Origin(str(source), line_no), obj
    else:
        if str(source) == "-":
            name, lines = "<stdin>", enumerate(stdin if stdin is not None else sys.stdin.buffer, start=1)
        else:
            name, lines = str(source), iter_binary_lines(source)
        for line_no, data in lines:
            # decoded here rather than with io.iter_text_lines, which stops at the first bad line
            # where --skip-bad should go on
            try:
                line = data.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as e:
                rejects.handle(BadInput(name, line_no, f"not valid UTF-8: byte {e.start} of the line"), source=SOURCE)
                continue
            if line.strip():
                yield Origin(name, line_no), {id_column: line_no, text_column: line}


def output_format(output: str | os.PathLike, fmt: str | None) -> str:
    """The output format: ``fmt`` if given, else "parquet" for a ``.parquet`` file and "jsonl" otherwise."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; the formats are {', '.join(FORMATS)}")
        return fmt
    return "parquet" if str(output).endswith(".parquet") else "jsonl"


@contextlib.contextmanager
def open_writer(path: str | os.PathLike, fmt: str, *, labels: Sequence[str]) -> Iterator[Callable[[dict], None]]:
    """A function that writes one tagged record; the file appears (atomically) only if the block succeeds.

    Args:
        path: the output file.
        fmt: "jsonl" or "parquet".
        labels: the model's labels (the Parquet schema of ``scores`` and ``evidence``).

    Yields:
        ``write(record)``.
    """
    if fmt == "jsonl":
        with atomic_write(path) as f:
            yield lambda record: f.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        with atomic_write(path, "wb") as f:
            sink = _ParquetSink(f, labels=labels)
            try:
                yield sink.write
                sink.finish()
            finally:  # also on failure: an open writer would write its footer to a closed file later
                if sink.writer is not None:
                    sink.writer.close()


class _ParquetSink:
    """Writes records as Parquet row groups of :data:`CHUNK_POSTS` rows (only one group in memory).

    The tag fields have a fixed schema (``evidence`` is a struct with a null for each negative
    label); the pass-through fields take their types from the first row group, and every later
    record must fit them.
    """

    def __init__(self, f, *, labels: Sequence[str]):
        import pyarrow as pa

        self.f, self.labels, self.rows, self.writer = f, list(labels), [], None
        self.tag_fields = [
            pa.field("scores", pa.struct([(label, pa.float64()) for label in self.labels])),
            pa.field("labels", pa.list_(pa.string())),
            pa.field("evidence", pa.struct([(label, pa.string()) for label in self.labels])),
            pa.field("model", pa.struct([("name", pa.string()), ("version", pa.string())])),
        ]

    def write(self, record: dict) -> None:
        self.rows.append(record)
        if len(self.rows) >= CHUNK_POSTS:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows, self.rows = self.rows, []
        try:
            if self.writer is None:
                # every field of the row group (from_pylist would take the first row's fields only)
                names = [k for k in dict.fromkeys(k for r in rows for k in r) if k not in TAG_FIELDS]
                passing = pa.Table.from_pydict({k: [r.get(k) for r in rows] for k in names})
                self.writer = pq.ParquetWriter(self.f, pa.schema(list(passing.schema) + self.tag_fields))
            schema = self.writer.schema
            extra = {k for r in rows for k in r} - set(schema.names)
            if extra:
                raise OutputError(f"Parquet output: field(s) {', '.join(sorted(extra))} appear after the first "
                                  f"{CHUNK_POSTS:,} posts; a Parquet file has one set of columns (use --format jsonl)")
            table = pa.Table.from_pylist(rows, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            raise OutputError(f"Parquet output: a field's type differs between posts ({e}); use --format jsonl") from None
        self.writer.write_table(table)

    def finish(self) -> None:
        """Write the last row group (an empty input still gets a readable file with the tag columns)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.rows:
            self._flush()
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.f, pa.schema(self.tag_fields))


@dataclasses.dataclass
class TagRun:
    """What :func:`tag_file` did.

    Args:
        output: the file written.
        posts: posts tagged and written.
        label_counts: posts per positive label (every label of the model, zeros included).
        rejects: the bad lines (recorded with ``skip_bad``) and the posts passed over (site furniture).
        rejects_file: where the rejects were written (with ``skip_bad``), else None.
    """

    output: Path
    posts: int
    label_counts: dict[str, int]
    rejects: Rejects
    rejects_file: Path | None


def rejects_path(output: str | os.PathLike) -> Path:
    """Where the rejects of a run writing ``output`` go: ``OUTPUT.rejects.jsonl``."""
    return Path(f"{output}.rejects.jsonl")


def tag_file(source: str | os.PathLike, output: str | os.PathLike, *, tagger: Tagger, text_column: str = "text",
             id_column: str = "id", skip_bad: bool = False, fmt: str | None = None, progress: bool = False,
             stdin=None) -> TagRun:
    """Tag every post of an input and write the tagged records (see :func:`read_posts` for inputs).

    Args:
        source: the input file, or ``-`` for stdin.
        output: the output file, written atomically (nothing appears if the run fails).
        tagger: the loaded model.
        text_column, id_column: the text and id fields or columns.
        skip_bad: record bad lines in ``OUTPUT.rejects.jsonl`` and go on, instead of stopping.
        fmt: "jsonl" or "parquet" (default: from the output's suffix, see :func:`output_format`).
        progress: show a progress bar on stderr.
        stdin: the binary stream read for ``-`` (default: the process's stdin).

    Returns:
        The counts of the run.

    Raises:
        BadInput: for a bad line (file and line named), unless ``skip_bad``.
        OutputError: for records Parquet cannot hold.
    """
    from tqdm import tqdm

    fmt = output_format(output, fmt)
    rejects = Rejects(skip_bad=skip_bad, path=rejects_path(output) if skip_bad else None)
    counts = Counter(dict.fromkeys(tagger.spec.labels, 0))
    posts = read_posts(source, text_column=text_column, id_column=id_column, rejects=rejects, stdin=stdin)
    tagged = tagger.tag_located(posts, text_field=text_column, id_field=id_column, rejects=rejects)
    n = 0
    with open_writer(output, fmt, labels=tagger.spec.labels) as write, \
            tqdm(tagged, desc="tag", unit=" posts", file=sys.stderr, disable=not progress, mininterval=0.5) as bar:
        for record in bar:
            write(record)
            counts.update(record["labels"])
            n += 1
    rejects.write()
    return TagRun(output=Path(output), posts=n, label_counts=dict(counts), rejects=rejects,
                  rejects_file=rejects.path)


def print_summary(run: TagRun, *, model: dict[str, str], console=None) -> None:
    """The closing summary of a tagging run: posts per label (a rich table), rejects and posts passed over.

    Args:
        run: the result of :func:`tag_file`.
        model: ``{"name", "version"}`` of the model.
        console: a rich Console (default: stdout).
    """
    import pandas as pd
    from rich.console import Console

    from forum_anecdotes.corpus.summary import print_table

    console = console or Console(width=160)
    frame = pd.DataFrame(
        {"posts": [int(v) for v in run.label_counts.values()],
         "share": [f"{v / run.posts:.1%}" if run.posts else "-" for v in run.label_counts.values()]},
        index=pd.Index(list(run.label_counts), name="label"),
    )
    print_table("Posts per label", frame, console)
    line = f"Tagged {run.posts:,} posts with {model['name']} {model['version']} into {run.output}"
    if run.rejects.total or run.rejects_file is not None:
        line += f"; rejected {run.rejects.total:,} bad line(s)"
        if run.rejects_file is not None:
            line += f" (listed in {run.rejects_file})"
    console.print(line)
    for (_, reason), count in sorted(run.rejects.skipped.items()):
        console.print(f"Passed over (not tagged): {count:,} post(s): {reason}")
