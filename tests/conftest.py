"""Test-wide settings: no hub access, ever; a fixed pseudonymisation key for tests."""
import os
import sys
from pathlib import Path

# Set before any test imports datasets or transformers, which read these at import time.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest  # noqa: E402

# raw_fixtures.py (a raw-data folder written for the tests) is shared by tests of several stages.
sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))

TEST_KEY = b"forum-anecdotes-test-key-0123456789"


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory):
    """The ONNX modes' cache of exported models in a test folder, never the user's ``~/.cache``."""
    from forum_anecdotes.models.onnx_runtime import CACHE_ENV_VAR

    folder = tmp_path_factory.mktemp("model-cache")
    previous = os.environ.get(CACHE_ENV_VAR)
    os.environ[CACHE_ENV_VAR] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop(CACHE_ENV_VAR, None)
    else:
        os.environ[CACHE_ENV_VAR] = previous


@pytest.fixture
def key() -> bytes:
    """A pseudonymisation key for tests (never the project's real key)."""
    return TEST_KEY


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread: the tiny test models only lose time to threads competing for a busy machine's cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
