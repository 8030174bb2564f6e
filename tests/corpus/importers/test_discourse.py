"""The Discourse importer on two hand-written topics: reply links, titles, names, and HTML to text."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from forum_anecdotes.corpus.importers.discourse import html_to_text, import_discourse
from forum_anecdotes.io import BadInput, Rejects

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "discourse"
TOPIC = FIXTURES / "topic_4101.json"  # 5 posts: plain replies, reply_to_post_number, raw markdown
SECOND_TOPIC = FIXTURES / "topic_4102.json"  # 2 posts


def read(path, **kwargs):
    return list(import_discourse(path, source="forum_x", rejects=Rejects(), **kwargs))


def by_id(posts):
    return {p.native_id: p for p in posts}


def write_topic(path: Path, posts: list[dict], topic_id: int = 7) -> Path:
    path.write_text(json.dumps({"id": topic_id, "title": "A topic", "post_stream": {"posts": posts}}))
    return path


def post(number: int, reply_to: int | None = None, **fields) -> dict:
    return {"id": 500 + number, "username": f"user_{number}", "created_at": "2023-01-01T00:00:00Z",
            "cooked": f"<p>post {number}</p>", "post_number": number, "reply_to_post_number": reply_to, **fields}


def test_counts_and_unique_ids_over_a_folder():
    posts = read(FIXTURES)
    assert [p.native_id for p in posts] == ["90001", "90002", "90003", "90004", "90005", "90010", "90011"]
    assert len({p.native_id for p in posts}) == len(posts)
    assert [p.order for p in posts] == list(range(7))  # runs on across topics


def test_threads_and_parents():
    posts = by_id(read(TOPIC))
    assert {p.thread_native_id for p in posts.values()} == {"topic-4101"}
    assert posts["90001"].parent_native_id is None  # the first post
    assert posts["90002"].parent_native_id == "90001"  # no reply_to_post_number: a reply to the topic
    assert posts["90003"].parent_native_id == "90002"  # reply_to_post_number 2
    assert posts["90004"].parent_native_id == "90003"  # reply_to_post_number 3
    assert posts["90005"].parent_native_id == "90001"  # reply_to_post_number 1


def test_title_only_on_first_post():
    posts = read(FIXTURES)
    assert [p.title for p in posts] == ["Tapering off an SSRI: what helped", None, None, None, None,
                                        "Test strips at festivals", None]


def test_community_default_and_option():
    assert {p.community for p in read(TOPIC)} == {"discourse"}
    assert {p.community for p in read(TOPIC, options={"community": "taper-forum"})} == {"taper-forum"}


def test_authors_dates_and_origin():
    posts = by_id(read(TOPIC))
    assert posts["90001"].author == "lantern_moth"  # the username, never the display name
    assert posts["90005"].author == "drift_owl"
    assert posts["90001"].created == dt.datetime(2023, 2, 1, 9, 0, tzinfo=dt.timezone.utc)
    assert posts["90004"].created == dt.datetime(2023, 2, 3, 12, 30, tzinfo=dt.timezone.utc)
    assert {(p.origin.file, p.origin.line) for p in posts.values()} == {(str(TOPIC), None)}


def test_context_names_hold_every_username_and_display_name_of_the_topic():
    first, second = read(TOPIC), read(SECOND_TOPIC)
    names = set(first[0].context_names)
    assert names == {"lantern_moth", "Mira Holloway", "quietfox_22", "Tobin Reyes", "mossy_kettle", "drift_owl",
                     "cedar_lark", "Ola Brandt"}  # cedar_lark only appears among the participants
    assert all(p.context_names == first[0].context_names for p in first)
    assert set(second[0].context_names) == {"pale_heron", "Ines Varga", "drift_owl"}


def test_texts_from_cooked_html_and_raw_markdown():
    posts = by_id(read(TOPIC))
    assert posts["90001"].text == "I am tapering slowly, about ten percent a month.\nDizzy spells in week two\nbut they faded."
    assert posts["90002"].text == "Same here, @lantern_moth. My prescriber suggested a liquid formulation."
    # the quote keeps its text as "> " lines; its attribution (a display name) is dropped
    assert posts["90003"].text == "> a liquid formulation\nThat made the small steps possible for me too."
    assert "Tobin" not in posts["90003"].text
    assert posts["90004"].text == "Thanks both :slight_smile:\n\nWill report back in a month."  # raw preferred


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>one</p>\n<p>two<br>three</p>", "one\ntwo\nthree"),
        ('<p>hi <a class="mention" href="/u/quietfox_22">@quietfox_22</a></p>', "hi @quietfox_22"),
        ('<p>see <a href="https://example.org/x">the guide</a> &amp; more</p>', "see the guide & more"),
        ("<blockquote><p>outer</p><blockquote><p>inner</p></blockquote></blockquote><p>reply</p>", "> outer\n> > inner\nreply"),
        ("<ul>\n<li>low dose</li>\n<li>test <strong>first</strong></li>\n</ul>", "- low dose\n- test first"),
        ("<pre><code>a = 1\n  b = 2\n</code></pre>", "a = 1\n  b = 2"),
        ('<p>ok <img src="/e.png" class="emoji" alt=":+1:"> <img src="/photo.jpg" alt="photo"></p>', "ok :+1:"),
        ('<div class="lightbox-wrapper"><a href="/i.jpg"><img src="/i.jpg"><div class="meta">'
         '<span class="filename">IMG_1.jpg</span></div></a></div><p>caption</p>', "caption"),
        ("<p>  spaced\n   out  </p>", "spaced out"),
        ("<p>before</p>\n<blockquote>\n<p>\n<em>quoted</em> text</p>\n</blockquote>\n<p>after<br><br>end</p>",
         "before\n> quoted text\nafter\n\nend"),
    ],
)
def test_html_to_text(html, text):
    assert html_to_text(html) == text


def test_reply_to_a_post_missing_from_the_file_is_a_reply_to_the_topic(tmp_path):
    topic = write_topic(tmp_path / "t.json", [post(1), post(2), post(4, reply_to=3), post(5, reply_to=9)])
    parents = {p.native_id: p.parent_native_id for p in read(topic)}
    assert parents == {"501": None, "502": "501", "504": "501", "505": "501"}


def test_without_post_one_the_earliest_post_opens_the_topic(tmp_path):
    topic = write_topic(tmp_path / "t.json", [post(3, reply_to=1), post(2)])
    posts = by_id(read(topic))
    assert (posts["502"].parent_native_id, posts["502"].title) == (None, "A topic")
    assert (posts["503"].parent_native_id, posts["503"].title) == ("502", None)


def test_bad_post_is_rejected_and_the_rest_of_the_topic_kept(tmp_path):
    bad = post(2)
    del bad["created_at"]
    topic = write_topic(tmp_path / "t.json", [post(1), bad, post(3, reply_to=2)])
    rejects = Rejects(skip_bad=True)
    posts = list(import_discourse(topic, source="forum_x", rejects=rejects))
    assert [(p.native_id, p.parent_native_id) for p in posts] == [("501", None), ("503", "501")]
    assert rejects.records == [{"source": "forum_x", "file": str(topic), "line": None,
                                "reason": "missing field(s): created_at (post #2)"}]


def test_post_of_another_topic_is_rejected(tmp_path):
    topic = write_topic(tmp_path / "t.json", [post(1, topic_id=7), post(2, topic_id=8)], topic_id=7)
    with pytest.raises(BadInput, match=r"malformed post: topic_id differs from the topic's id \(post #2\)"):
        read(topic)


def test_topic_without_title_is_rejected(tmp_path):
    topic = tmp_path / "t.json"
    topic.write_text(json.dumps({"id": 7, "post_stream": {"posts": [post(1)]}}))
    with pytest.raises(BadInput) as caught:
        read(topic)
    assert (caught.value.line, caught.value.reason) == (None, "missing field(s): title (topic)")
