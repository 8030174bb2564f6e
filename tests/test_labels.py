"""The label set against the contract in shared/spec/LABELS.md, and the generated label table."""
import re
from pathlib import Path

import pytest

from forum_anecdotes import labels
from forum_anecdotes.paths import REPO_ROOT

CONTRACT = REPO_ROOT.parent / "shared" / "spec" / "LABELS.md"


def _contract_rows(text: str) -> list[str]:
    """Label ids of the contract's table, in order: rows that start with a `backticked` id."""
    return re.findall(r"^\|\s*`([a-z_]+)`\s*\|", text, flags=re.M)


def test_the_contract_is_present():
    # CI runs beside shared/: a missing contract is a broken checkout, not a reason to skip
    assert CONTRACT.is_file(), f"{CONTRACT} is missing"


def test_labels_match_the_contract_in_name_and_order():
    assert list(labels.LABEL_NAMES) == _contract_rows(CONTRACT.read_text(encoding="utf-8"))


def test_the_contract_version_matches():
    heading = CONTRACT.read_text(encoding="utf-8").splitlines()[0]
    assert re.search(r"\(version (\d+)\)", heading).group(1) == str(labels.LABEL_CONTRACT_VERSION)


def test_every_label_is_described():
    for label in labels.LABELS:
        assert label.title and len(label.positive) > 30 and len(label.negative) > 20


def test_label_index_and_unknown_label():
    assert labels.label_index("first_hand") == 4
    with pytest.raises(ValueError, match="unknown label 'harm'.*effect_beneficial"):
        labels.label_index("harm")


def test_markdown_table_has_one_row_per_label():
    table = labels.markdown_table()
    assert _contract_rows(table) == list(labels.LABEL_NAMES)


def test_contract_row_parser_reads_a_table(tmp_path: Path):
    assert _contract_rows("| id | x |\n|---|---|\n| `a_b` | y |\n| `c` | z |\n") == ["a_b", "c"]
