from pathlib import Path

import pytest

from forum_anecdotes.corpus.furniture import FurnitureRules, default_rules

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"


def test_donation_appeal_and_signup_prompt_are_dropped_as_lines():
    cleaned = default_rules().clean_document((FIXTURES / "010_forum_thread.txt").read_text())
    text = "\n".join(cleaned.lines)
    assert "donations" not in text
    assert "sign up" not in text
    assert "  1. lantern_moth" in cleaned.lines  # the post header after the banner survives
    assert cleaned.dropped["donation_appeal"] == 1
    assert cleaned.dropped["signup_prompt"] == 1


def test_related_posts_and_bio_box_are_dropped_and_author_kept():
    cleaned = default_rules().clean_document((FIXTURES / "011_blog_post.txt").read_text())
    text = "\n".join(cleaned.lines)
    assert "Five Myths" not in text and "two cats" not in text
    assert "nausea during the infusion" in text
    assert cleaned.dropped["related_posts"] == 1


def test_bio_box_alone_gives_the_author():
    cleaned = default_rules().clean_document("Title\n\nBody text here.\n\nAbout riverstone_writer\n\nI write things.\n")
    assert cleaned.author == "riverstone_writer"
    assert cleaned.lines[-1] == "" or "I write" not in "\n".join(cleaned.lines)


def test_placeholder_comment_of_wordpress_is_dropped():
    doc = "Some page text.\nHi, this is a comment.\nTo get started with moderating, editing, and deleting comments, please visit the Comments screen.\nCommenter avatars come from Gravatar."
    cleaned = default_rules().clean_document(doc)
    assert cleaned.lines == ["Some page text."]


def test_bot_posts_are_recognised():
    rule = default_rules().post_rule("Removed. *I am a bot, and this action was performed automatically.*")
    assert rule is not None and rule.id == "bot_message"
    assert default_rules().post_rule("I am a person and I wrote this.") is None


def test_bad_rule_file_names_the_rule(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("drop_lines:\n  - id: broken\n    reason: x\n    pattern: '(unclosed'\n")
    with pytest.raises(ValueError, match=r"rules.yaml: drop_lines rule #1"):
        FurnitureRules.load(bad)
