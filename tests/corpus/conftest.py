import sys
from pathlib import Path

# raw_fixtures.py lives beside the tests that use it.
sys.path.insert(0, str(Path(__file__).resolve().parent))
