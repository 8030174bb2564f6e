"""Adjudication: from current answers (and adjudicators' decisions) to label records with provenance.

Per post and label:

* answered by at least ``min_annotators`` annotators: a majority vote gives a gold
  :class:`~forum_anecdotes.schema.LabelRecord` (origin "adjudicated", agent "rule", by
  "majority_vote"); a tie gives none. Every split vote is listed for review.
* answered by fewer: one record per answer, origin "annotator" (not adjudicated; the schema's gold
  policy counts them only when they agree).
* an adjudicator's decision wins over both: origin "adjudicated", agent and name from the decision.

Answers are reduced first with :func:`~forum_anecdotes.annotation.agreement.current_answers`
(undos applied, latest per annotator and post, unclear answers excluded). Everything is a pure
function of the records given: times come from the answers and decisions, never from the clock.

A **decision** line (the decisions file, JSON Lines)::

    {"post_id": "rmhd-3fa...", "label": "first_hand", "value": 1, "adjudicator": "adj-1",
     "agent": "person", "agent_model": null, "time": "2026-12-01T09:00:00Z", "note": "..."}

``guide_version`` and ``batch`` may be given too; by default they are the answers'.
"""
from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from typing import Any

from forum_anecdotes.annotation.agreement import current_answers
from forum_anecdotes.annotation.validate import guide_version_key
from forum_anecdotes.io import BadInput, iter_text_lines
from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.schema import Agent, LabelOrigin, LabelRecord

#: ``by`` of a majority-vote record.
MAJORITY_VOTE = "majority_vote"

DECISION_FIELDS: tuple[str, ...] = ("post_id", "label", "value", "adjudicator", "agent", "agent_model", "time",
                                    "note", "guide_version", "batch")
_DECISION_REQUIRED: tuple[str, ...] = ("post_id", "label", "adjudicator", "agent", "time")
_DECISION_AGENTS: tuple[str, ...] = (Agent.PERSON.value, Agent.LANGUAGE_MODEL.value)


@dataclasses.dataclass(frozen=True)
class Disagreement:
    """A post and label whose current answers differ.

    Args:
        post_id: the post.
        label: the label.
        votes: annotator -> value, sorted by annotator.
        tie: as many 1s as 0s.
        majority: the majority value, None for a tie.
        resolved_by: "decision", "majority_vote", or None (an unresolved tie, or too few
            annotators to adjudicate).
        value: the gold value now, None when there is none.
        decision: the decision that settled it, if any.
    """

    post_id: str
    label: str
    votes: dict[str, int]
    tie: bool
    majority: int | None
    resolved_by: str | None
    value: int | None
    decision: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class AdjudicationResult:
    """What :func:`adjudicate` made.

    Attributes:
        records: post_id -> its label records (LABEL_NAMES order; decisions and votes first).
        disagreements: every post and label with split votes (ties included), post and label order.
        ties: the disagreements that are ties (they have no gold label unless a decision covers them).
        unmatched_decisions: decisions for a post and label without any current, clear answer (they
            are applied all the same: an adjudicator may label a post every annotator found unclear).
        min_annotators: the threshold used.
    """

    records: dict[str, list[LabelRecord]]
    disagreements: list[Disagreement]
    ties: list[Disagreement]
    unmatched_decisions: list[dict[str, Any]]
    min_annotators: int

    def records_as_dicts(self) -> dict[str, list[dict[str, Any]]]:
        """post_id -> its records as dicts (JSON-serialisable)."""
        return {post_id: [r.to_dict() for r in records] for post_id, records in self.records.items()}

    @property
    def unresolved_ties(self) -> list[Disagreement]:
        """Ties no decision covers: these post labels have no gold value."""
        return [d for d in self.ties if d.resolved_by is None]


def decision_problems(decision: Any) -> list[str]:
    """What is wrong with one decision record (empty when nothing is).

    Args:
        decision: a parsed decision line.

    Returns:
        Messages, without the file and line.
    """
    if not isinstance(decision, dict):
        return ["a decision must be a JSON object"]
    problems = []
    unknown = sorted(set(decision) - set(DECISION_FIELDS))
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}")
    missing = [f for f in _DECISION_REQUIRED if not isinstance(decision.get(f), str) or not decision.get(f)]
    if missing:
        problems.append(f"missing or empty {', '.join(missing)}")
    label = decision.get("label")
    if isinstance(label, str) and label and label not in LABEL_NAMES:
        problems.append(f"unknown label {label!r}; the labels are {', '.join(LABEL_NAMES)}")
    value = decision.get("value")
    if isinstance(value, bool) or value not in (0, 1):
        problems.append(f"value must be 0 or 1, not {value!r}")
    agent = decision.get("agent")
    if isinstance(agent, str) and agent and agent not in _DECISION_AGENTS:
        problems.append(f"agent {agent!r} is not one of {', '.join(_DECISION_AGENTS)}")
    if agent == Agent.LANGUAGE_MODEL.value and not decision.get("agent_model"):
        problems.append("agent_model must name the language model")
    if agent == Agent.PERSON.value and decision.get("agent_model"):
        problems.append("agent_model is only for language models")
    for name in ("note", "guide_version", "batch", "agent_model"):
        if decision.get(name) is not None and not isinstance(decision.get(name), str):
            problems.append(f"{name} must be text")
    version = decision.get("guide_version")
    if isinstance(version, str):
        try:
            guide_version_key(version)
        except ValueError as e:
            problems.append(str(e))
    return problems


def load_decisions(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read and check a decisions file (JSON Lines; blank lines skipped).

    Args:
        path: the file (plain, ``.gz`` or ``.zst``).

    Returns:
        The decisions, in file order.

    Raises:
        BadInput: naming the file and line of the first bad line (not JSON, not an object, or
            :func:`decision_problems`).
    """
    decisions = []
    for line_no, text in iter_text_lines(path):
        text = text.removeprefix("\ufeff") if line_no == 1 else text
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as e:
            raise BadInput(path, line_no, f"malformed JSON: {e.msg} at column {e.colno}") from None
        problems = decision_problems(record)
        if problems:
            raise BadInput(path, line_no, "; ".join(problems))
        decisions.append(record)
    return decisions


def _latest_version(versions: Iterable[str]) -> str:
    return max(versions, key=guide_version_key)


def _vote_text(votes: dict[str, int], value: int) -> str:
    n = sum(1 for v in votes.values() if v == value)
    return f"{n} of {len(votes)} annotators"


def adjudicate(
    answers: Iterable[dict],
    *,
    decisions: Iterable[dict] = (),
    min_annotators: int = 2,
) -> AdjudicationResult:
    """Gold and annotator label records from answers, by majority vote and adjudicators' decisions.

    For each post and label:

    * a decision (the latest by time, then by order, when several cover it) gives an
      "adjudicated" record made by the decision's agent, ``by`` the adjudicator; its note keeps
      the decision's note and the vote it settled;
    * otherwise, with answers from at least ``min_annotators`` annotators, the majority value
      gives an "adjudicated" record, agent "rule", ``by`` "majority_vote", note e.g. "majority
      vote: 2 of 3 annotators set 1"; a tie gives no record;
    * otherwise (fewer annotators) each answer gives an "annotator" record: agent and
      agent_model from the answer, ``by`` the annotator.

    Provenance of adjudicated records, from the answers that asked the label: ``guide_version`` is the answers' version when they agree,
    else the latest (and the note says which versions were mixed); ``batch`` is the answers' batch
    when they agree, else the latest answer's (noted); ``time`` is the decision's time, or for a
    vote the latest answer's time (so that the result depends on the records only). A decision may
    set its own ``guide_version`` and ``batch``.

    Args:
        answers: answer and undo records, in file order (reduced with
            :func:`~forum_anecdotes.annotation.agreement.current_answers`; unclear answers excluded).
        decisions: decision records (see :func:`load_decisions`).
        min_annotators: answers needed before a vote is taken (at least 2).

    Returns:
        An :class:`AdjudicationResult`.

    Raises:
        ValueError: for min_annotators below 2, a bad answer record, or a bad decision (naming it).
    """
    if min_annotators < 2:
        raise ValueError(f"min_annotators must be at least 2 (one annotator's answer is not adjudicated), not {min_annotators}")
    current = current_answers(answers)
    decisions = list(decisions)
    chosen: dict[tuple[str, str], tuple[tuple[str, int], dict[str, Any]]] = {}
    for i, d in enumerate(decisions):
        problems = decision_problems(d)
        if problems:
            raise ValueError(f"decision {i} ({d.get('post_id') if isinstance(d, dict) else d!r}): {'; '.join(problems)}")
        key = (d["post_id"], d["label"])
        rank = (d["time"], i)  # the latest decision wins; file order breaks a tie of times
        if key not in chosen or rank > chosen[key][0]:
            chosen[key] = (rank, d)

    by_post: dict[str, list[dict[str, Any]]] = {}
    for a in current:
        by_post.setdefault(a["post_id"], []).append(a)

    records: dict[str, list[LabelRecord]] = {}
    disagreements: list[Disagreement] = []
    unmatched: list[dict[str, Any]] = []
    for post_id in sorted(set(by_post) | {p for p, _ in chosen}):
        post_answers = sorted(by_post.get(post_id, []), key=lambda a: a["annotator"])
        out: list[LabelRecord] = []
        for name in LABEL_NAMES:
            # provenance comes from the answers that asked this label: a post read in two batches
            # for different labels records, for each label, the batch that asked it
            label_answers = [a for a in post_answers if name in a["labels"]]
            votes = {a["annotator"]: int(a["labels"][name]) for a in label_answers}
            decision = chosen.get((post_id, name), (None, None))[1]
            if decision is not None and not votes:
                unmatched.append(decision)
            ones = sum(votes.values())
            zeros = len(votes) - ones
            tie = bool(votes) and ones == zeros
            majority = None if tie or not votes else int(ones > zeros)
            enough = len(votes) >= min_annotators
            if decision is not None:  # a decision over no clear answer takes the post's answers' provenance
                out.append(_decision_record(name, decision, label_answers or post_answers, votes, majority, tie))
            elif enough and majority is not None:
                out.append(_vote_record(name, majority, label_answers, votes))
            elif not enough:
                out += [_annotator_record(name, a) for a in label_answers]
            if ones and zeros:
                resolved_by = "decision" if decision is not None else (MAJORITY_VOTE if enough and not tie else None)
                value = decision["value"] if decision is not None else (majority if resolved_by else None)
                disagreements.append(Disagreement(post_id, name, votes, tie, majority, resolved_by, value, decision))
        if out:
            records[post_id] = out
    ties = [d for d in disagreements if d.tie]
    return AdjudicationResult(records, disagreements, ties, unmatched, min_annotators)


def _provenance(post_answers: list[dict[str, Any]]) -> tuple[str | None, str | None, str | None, list[str]]:
    """guide_version, batch and time of a record made from several answers, and notes on mixtures."""
    if not post_answers:
        return None, None, None, []
    notes = []
    versions = sorted({a["guide_version"] for a in post_answers}, key=guide_version_key)
    version = _latest_version(versions)
    if len(versions) > 1:
        notes.append(f"answers made under guide versions {', '.join(versions)}; the latest, {version}, is recorded")
    latest = max(post_answers, key=lambda a: a["time"])
    batches = sorted({a["batch"] for a in post_answers})
    batch = batches[0] if len(batches) == 1 else latest["batch"]
    if len(batches) > 1:
        notes.append(f"answers from batches {', '.join(batches)}; the latest answer's, {batch}, is recorded")
    return version, batch, latest["time"], notes


def _vote_record(name: str, value: int, post_answers: list[dict[str, Any]], votes: dict[str, int]) -> LabelRecord:
    version, batch, time, notes = _provenance(post_answers)
    note = "; ".join([f"majority vote: {_vote_text(votes, value)} set {value}", *notes])
    return LabelRecord(name=name, value=value, origin=LabelOrigin.ADJUDICATED.value, by=MAJORITY_VOTE,
                       agent=Agent.RULE.value, guide_version=version, batch=batch, time=time, note=note)


def _decision_record(name: str, decision: dict[str, Any], post_answers: list[dict[str, Any]],
                     votes: dict[str, int], majority: int | None, tie: bool) -> LabelRecord:
    version, batch, _, notes = _provenance(post_answers)
    if decision.get("guide_version"):
        version, notes = decision["guide_version"], [n for n in notes if not n.startswith("answers made under")]
    if decision.get("batch"):
        batch, notes = decision["batch"], [n for n in notes if not n.startswith("answers from batches")]
    if not votes:
        vote = "no clear answers"
    elif tie:
        vote = f"a tie, {_vote_text(votes, 1)} set 1"
    else:
        vote = f"{_vote_text(votes, majority)} set {majority}"
    note = "; ".join([n for n in [decision.get("note") or "", f"decision over the vote ({vote})", *notes] if n])
    agent = decision["agent"]
    return LabelRecord(name=name, value=decision["value"], origin=LabelOrigin.ADJUDICATED.value,
                       by=decision["adjudicator"], agent=agent,
                       agent_model=decision.get("agent_model") if agent == Agent.LANGUAGE_MODEL.value else None,
                       guide_version=version, batch=batch, time=decision["time"], note=note)


def _annotator_record(name: str, answer: dict[str, Any]) -> LabelRecord:
    agent = answer["agent"]
    return LabelRecord(name=name, value=int(answer["labels"][name]), origin=LabelOrigin.ANNOTATOR.value,
                       by=answer["annotator"], agent=agent,
                       agent_model=answer.get("agent_model") if agent == Agent.LANGUAGE_MODEL.value else None,
                       guide_version=answer["guide_version"], batch=answer["batch"], time=answer["time"],
                       note=answer.get("note") or "")


def disagreement_table(result: AdjudicationResult) -> list[dict[str, Any]]:
    """Rows for a review file: every split vote, unresolved ones (no gold value yet) first.

    Each row can be turned into a decision by filling in ``value``, ``adjudicator``, ``agent``,
    ``time`` (and ``note``) and keeping ``post_id`` and ``label``.

    Args:
        result: from :func:`adjudicate`.

    Returns:
        JSON-serialisable dicts: ``post_id``, ``label``, ``votes`` (annotator -> value), ``ones``,
        ``zeros``, ``tie``, ``majority`` (None for a tie), ``resolved_by`` ("decision",
        "majority_vote" or None), ``value`` (the gold value now, or None), ``adjudicator`` and
        ``decision_note`` (of the decision that settled it, else None).
    """
    rows = []
    for d in sorted(result.disagreements, key=lambda d: (d.resolved_by is not None, d.post_id, LABEL_NAMES.index(d.label))):
        ones = sum(d.votes.values())
        rows.append({
            "post_id": d.post_id,
            "label": d.label,
            "votes": dict(d.votes),
            "ones": ones,
            "zeros": len(d.votes) - ones,
            "tie": d.tie,
            "majority": d.majority,
            "resolved_by": d.resolved_by,
            "value": d.value,
            "adjudicator": d.decision["adjudicator"] if d.decision else None,
            "decision_note": (d.decision.get("note") or None) if d.decision else None,
        })
    return rows
