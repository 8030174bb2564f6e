from pathlib import Path

from forum_anecdotes.corpus.importers.seeds import import_seeds
from forum_anecdotes.io import Rejects

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"


def _posts():
    return list(import_seeds(FIXTURES, source="seeds", rejects=Rejects()))


def test_forum_page_is_split_into_posts_with_authors():
    posts = [p for p in _posts() if p.thread_native_id == "010_forum_thread"]
    assert [p.author for p in posts] == ["lantern_moth", "quietfox_22", "harbor_owl", "quietfox_22", "nightjar"]
    assert len({p.native_id for p in posts}) == len(posts)
    assert all("donations" not in p.text and "sign up" not in p.text for p in posts)


def test_reply_structure_follows_re_subjects():
    posts = {p.native_id: p for p in _posts() if p.thread_native_id == "010_forum_thread"}
    root, article, reply1, reply2, other = (posts[f"010_forum_thread#{k}"] for k in range(1, 6))
    assert root.parent_native_id is None
    assert article.title == "Esketamine: Faster Relief, Same Old Questions?"
    assert article.parent_native_id == root.native_id
    assert reply1.parent_native_id == article.native_id and reply2.parent_native_id == article.native_id
    assert not reply1.text.startswith("Re:")  # the subject line is structure, not text
    assert other.parent_native_id == root.native_id  # no "Re:": a reply to the thread
    assert set(root.context_names) == {"lantern_moth", "quietfox_22", "harbor_owl", "nightjar"}


def test_post_origin_names_file_and_header_line():
    posts = [p for p in _posts() if p.thread_native_id == "010_forum_thread"]
    assert posts[0].origin.file.endswith("010_forum_thread.txt")
    assert posts[0].origin.line == 2


def test_blog_page_is_one_post_with_title_and_bio_author():
    (post,) = [p for p in _posts() if p.thread_native_id == "011_blog_post"]
    assert post.title == "Ketamine Clinics: What To Expect"
    assert post.author == "riverstone_writer"
    assert "Five Myths" not in post.text and "two cats" not in post.text
    assert post.text.endswith("nausea during the infusion.")
