"""The annotation guide: its version is the one answers record, and its examples are published posts."""
import json
import re

from forum_anecdotes import paths
from forum_anecdotes.annotation.records import GUIDE_VERSION
from forum_anecdotes.labels import LABEL_NAMES

GUIDE = paths.REPO_ROOT / "annotation" / "GUIDELINES.md"


def test_the_guide_states_the_current_version():
    assert GUIDE.read_text(encoding="utf-8").splitlines()[0] == f"# Annotation guide (version {GUIDE_VERSION})"


def test_every_label_has_a_section():
    guide = GUIDE.read_text(encoding="utf-8")
    for name in LABEL_NAMES:
        assert re.search(rf"^#+ .*`{name}`", guide, flags=re.M), name


def test_examples_are_published_posts_of_sources_whose_text_is_published():
    cited = set(re.findall(r"`((?:[a-z_]+)-[0-9a-f]{16})`", GUIDE.read_text(encoding="utf-8")))
    assert len(cited) >= 30
    published = {}
    for split in ("train", "validation", "test"):
        for line in (paths.CORPUS_DATA_DIR / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            published[record["post_id"]] = record
    missing = sorted(cited - set(published))
    assert not missing, f"examples not in the corpus: {missing[:5]}"
    assert all(published[p]["text"] is not None and published[p]["source"] in {"rmhd", "opiates", "seeds"} for p in cited)
