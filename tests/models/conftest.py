"""Fixtures shared by the tagging tests: a tiny random model, and one torch thread."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "tag"))
from tiny_model import build_tiny_model  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def one_thread(one_torch_thread):
    """Every test here runs with one torch thread (see ``one_torch_thread``)."""


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")
