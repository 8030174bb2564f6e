"""The label set of the project, defined once: names, descriptions and the contract version.

The contract is ``shared/spec/LABELS.md`` (version :data:`LABEL_CONTRACT_VERSION`); a test checks
this module against it. Everything else that lists labels reads :data:`LABELS`: the schema's label
records, the data card's label table, the annotation tools' configurations, the classifier's label
map and the analysis tables.
"""
from __future__ import annotations

import dataclasses

#: Version of ``shared/spec/LABELS.md`` these labels implement.
LABEL_CONTRACT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Label:
    """One post-level label of the contract.

    Args:
        name: the label id, as in the contract's table.
        title: a short human title, for tables and the labeling page.
        positive: when the label is 1 (the contract's "set to 1 when the post..." column, shortened).
        negative: when it is not (the contract's "not when..." column, shortened).
    """

    name: str
    title: str
    positive: str
    negative: str


#: The five labels, in the contract's order.
LABELS: tuple[Label, ...] = (
    Label(
        "effect_beneficial",
        "Beneficial effect",
        "reports or claims that a substance produced an improvement for someone (relief of depression, "
        "anxiety, pain or cravings, better sleep or mood, \"it worked\"), even partial or short-lived",
        "the benefit is only hoped for, asked about or negated, or is relief of withdrawal by re-dosing the same drug",
    ),
    Label(
        "effect_adverse",
        "Adverse effect",
        "reports or claims an unwanted effect of taking a substance: side effects, including lasting "
        "effects after stopping that are not withdrawal",
        "the symptoms are withdrawal or discontinuation symptoms, or the effect is only feared or asked about",
    ),
    Label(
        "ssri_withdrawal",
        "Antidepressant withdrawal",
        "reports or claims discontinuation or withdrawal symptoms after reducing, missing or stopping an "
        "antidepressant (SSRI, SNRI or other serotonergic antidepressant)",
        "the withdrawal is from a drug of dependence (that is abuse_harm), or the post only asks whether it will happen",
    ),
    Label(
        "abuse_harm",
        "Abuse or harm",
        "mentions misuse or harm from substance use: non-medical use, craving, tolerance, dependence or "
        "addiction, withdrawal from a drug of dependence, relapse, overdose, organ damage, risky practices, "
        "or legal, money, work or family harm; general statements count",
        "the only harm is an ordinary side effect or antidepressant discontinuation",
    ),
    Label(
        "first_hand",
        "First-hand experience",
        "the writer describes their own use of a substance: taking it, having taken it, tapering or "
        "stopping it, or its effects on them",
        "the writer reports someone else's use, gives general information, or only asks without describing own use",
    ),
)

#: The label names, in the contract's order: the column order of every label matrix.
LABEL_NAMES: tuple[str, ...] = tuple(label.name for label in LABELS)

#: Label by name.
LABELS_BY_NAME: dict[str, Label] = {label.name: label for label in LABELS}


def label_index(name: str) -> int:
    """The column of ``name`` in :data:`LABEL_NAMES`.

    Raises:
        ValueError: naming the known labels, for an unknown name.
    """
    try:
        return LABEL_NAMES.index(name)
    except ValueError:
        raise ValueError(f"unknown label {name!r}; the labels are {', '.join(LABEL_NAMES)}") from None


def markdown_table() -> str:
    """The label table of the data card and the guide: id, title, set to 1 when, not when."""
    rows = ["| label | title | 1 when the post... | not when... |", "|---|---|---|---|"]
    rows += [f"| `{lb.name}` | {lb.title} | {lb.positive} | {lb.negative} |" for lb in LABELS]
    return "\n".join(rows) + "\n"
