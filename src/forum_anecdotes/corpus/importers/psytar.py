"""Importer for the PsyTAR workbook (askapatient.com reviews of Zoloft, Lexapro and Cymbalta).

Each review (a row of the ``Sample`` sheet, id ``drug_id`` such as ``lexapro.1``) is a one-post
thread. Its text is the review's side-effect field and comment field. PsyTAR labels every sentence;
a post gets label 1 when any of its sentences carries the mapped PsyTAR label and 0 when none does
(the annotation was exhaustive, so 0 is known, not assumed). Labels PsyTAR does not annotate
(``abuse_harm``, ``first_hand``) stay absent: unknown.

The text is read so that the build can find substances and duplicates, but PsyTAR's terms forbid
republishing it: the source is declared ``ids_and_labels`` and the build withholds it.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import openpyxl

from forum_anecdotes.corpus.importers.base import parse_timestamp
from forum_anecdotes.io import BadInput, Rejects
from forum_anecdotes.schema import Agent, LabelOrigin, LabelRecord, Origin, RawPost

#: PsyTAR sentence label -> label of the contract. INF (ineffective), SSI (signs/symptoms of
#: illness) and DI (drug indications) have no counterpart and are not mapped.
PSYTAR_LABEL_MAP = {"ADR": "effect_adverse", "WD": "ssri_withdrawal", "EF": "effect_beneficial"}
SAMPLE_COLUMNS = ("drug_id", "side-effect", "comment", "age", "date")
SENTENCE_COLUMNS = ("drug_id", *PSYTAR_LABEL_MAP)
LABELLED_BY = "psytar"


def import_psytar(path: Path, *, source: str, rejects: Rejects, options: Mapping | None = None) -> Iterator[RawPost]:
    """Import the reviews of a PsyTAR workbook with their mapped post-level labels.

    Args:
        path: the ``PsyTAR_dataset.xlsx`` workbook.
        source: the source name for the records.
        rejects: where bad rows go.
        options: unused.

    Returns:
        An iterator of RawPost in workbook order.
    """
    path = Path(path)
    workbook = _open_workbook(path)
    try:
        positives = _sentence_labels(workbook, path)
        for line, row in _sheet_rows(workbook, "Sample", SAMPLE_COLUMNS, path):
            post_id = _cell(row["drug_id"])
            if not post_id:
                rejects.handle(BadInput(f"{path}[Sample]", line, "missing value for drug_id"), source=source)
                continue
            try:
                created = _review_date(row["date"])
            except (ValueError, OverflowError):
                rejects.handle(BadInput(f"{path}[Sample]", line, "unreadable date"), source=source)
                continue
            parts = [_cell(row["side-effect"]), _cell(row["comment"])]
            labels = tuple(
                LabelRecord(name=label, value=int(post_id in positives[code]), origin=LabelOrigin.EXTERNAL.value,
                            by=LABELLED_BY, agent=Agent.DATASET.value, note=f"PsyTAR sentence label {code} on any sentence of the post")
                for code, label in PSYTAR_LABEL_MAP.items()
            )
            yield RawPost(
                source=source, native_id=post_id, thread_native_id=post_id, parent_native_id=None,
                author=None, created=created, title=None, text="\n\n".join(p for p in parts if p),
                community="askapatient.com", origin=Origin(f"{path}[Sample]", line), order=0,
                age=_age(row["age"]), labels=labels,
                subject_drugs=(post_id.split(".", 1)[0],),  # "lexapro.1" is a review of Lexapro
            )
    finally:
        workbook.close()


def _sentence_labels(workbook, path: Path) -> dict[str, set[str]]:
    """For each PsyTAR label code, the ids of posts with at least one sentence carrying it."""
    positives: dict[str, set[str]] = collections.defaultdict(set)
    for sentence in _labelled_sentences(workbook, path):
        for code in sentence.codes:
            positives[code].add(sentence.review_id)
    return positives


@dataclasses.dataclass(frozen=True)
class LabelledSentence:
    """A row of PsyTAR's ``Sentence_Labeling`` sheet.

    Args:
        review_id: the review it belongs to (``drug_id``, e.g. ``lexapro.1``).
        index: its position in the review (``sentence_index``; 0 where the sheet has none).
        text: the sentence (raw: it must go through anonymisation before a model reads it).
        codes: the PsyTAR label codes of :data:`PSYTAR_LABEL_MAP` it carries.
        line: its line in the sheet, for messages.
    """

    review_id: str
    index: int
    text: str
    codes: frozenset[str]
    line: int

    @property
    def labels(self) -> dict[str, int]:
        """The sentence's value for every label of the contract PsyTAR annotates (0 or 1)."""
        return {label: int(code in self.codes) for code, label in PSYTAR_LABEL_MAP.items()}


def read_labelled_sentences(path: str | Path) -> Iterator[LabelledSentence]:
    """The labelled sentences of a PsyTAR workbook, in sheet order (rows without a review id are skipped).

    The post labels of :func:`import_psytar` are made from the same rows; training reads them too,
    as sentence-level examples (:func:`forum_anecdotes.models.data.psytar_sentence_rows`).

    Args:
        path: the ``PsyTAR_dataset.xlsx`` workbook.

    Returns:
        An iterator of :class:`LabelledSentence`.

    Raises:
        BadInput: for an unreadable workbook, or one without the sheet or its columns.
    """
    path = Path(path)
    workbook = _open_workbook(path)
    try:
        yield from _labelled_sentences(workbook, path)
    finally:
        workbook.close()


def _labelled_sentences(workbook, path: Path) -> Iterator[LabelledSentence]:
    for line, row in _sheet_rows(workbook, "Sentence_Labeling", SENTENCE_COLUMNS, path):
        review_id = _cell(row["drug_id"])
        if not review_id:
            continue
        index = _cell(row.get("sentence_index"))
        yield LabelledSentence(review_id=review_id, index=int(index) if index.isdigit() else 0,
                               text=_cell(row.get("sentences")),
                               codes=frozenset(code for code in PSYTAR_LABEL_MAP if _cell(row[code]) == "1"),
                               line=line)


def _open_workbook(path: Path):
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several types for a damaged file
        raise BadInput(path, None, f"cannot read the workbook ({type(e).__name__})") from None


def _sheet_rows(workbook, sheet: str, required: tuple[str, ...], path: Path):
    if sheet not in workbook.sheetnames:
        raise BadInput(path, None, f"no sheet named {sheet!r}")
    rows = workbook[sheet].iter_rows(values_only=True)
    header = [_cell(c) for c in next(rows, ())]
    missing = [c for c in required if c not in header]
    if missing:
        raise BadInput(f"{path}[{sheet}]", 1, f"missing column(s) {', '.join(missing)}")
    for line, values in enumerate(rows, start=2):
        if any(v is not None for v in values):
            yield line, dict(zip(header, values))


# About a quarter of the dates are text such as "4/12/2011Email": a US date followed by the
# label of the page's e-mail link, captured by the scraper.
US_DATE_WITH_TRAILER = re.compile(r"^(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})\D*$")


def _review_date(value) -> dt.datetime | None:
    match = US_DATE_WITH_TRAILER.match(_cell(value)) if isinstance(value, str) else None
    if match:
        return dt.datetime(int(match["year"]), int(match["month"]), int(match["day"]), tzinfo=dt.timezone.utc)
    return parse_timestamp(value)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _age(value) -> int | None:
    try:
        return int(float(_cell(value)))
    except ValueError:
        return None
