"""The per-post pipeline that the build and the tag script share."""
import datetime as dt

import pytest

from forum_anecdotes.corpus.process import FurniturePost, PostPipeline, ThreadContext, post_problem
from forum_anecdotes.io import BadInput
from forum_anecdotes.schema import Agent, LabelRecord, Origin, RawPost

KEY = b"forum-anecdotes-test-key-0123456789"


def raw(text, *, native_id="comment-a", thread="t1", parent=None, author="mossy_lantern_77", title=None, **kw):
    return RawPost(source="forum", native_id=native_id, thread_native_id=thread, parent_native_id=parent,
                   author=author, created=dt.datetime(2020, 3, 14, 12, tzinfo=dt.timezone.utc), title=title,
                   text=text, community="r/test", origin=Origin("posts.csv", 7), **kw)


def test_a_post_is_anonymised_tagged_and_coarsened():
    pipeline = PostPipeline(key=KEY)
    done = pipeline.process(raw("Mail me at moss@example.org, 20mg sertraline helped.", title="Day 3", age=33))
    post = done.post
    assert post.author.startswith("user_") and "mossy" not in post.author
    assert "[EMAIL]" in post.text and "example.org" not in post.text
    assert post.drugs == ["sertraline"] and post.drug_classes == ["ssri"]
    assert post.created == "2020-03" and post.age_band == "25-34"
    assert post.title == "Day 3" and done.full_text.startswith("Day 3\n")
    assert done.placeholders["EMAIL"] == 1
    assert post.post_id.startswith("forum-") and "comment-a" not in post.post_id
    assert post.thread_id == pipeline.published_id("forum", "t1")
    assert done.raw.author == "mossy_lantern_77"  # the raw post stays with the caller, never written


def test_users_are_numbered_per_thread_across_posts():
    pipeline = PostPipeline(key=KEY)
    thread = ThreadContext()
    pipeline.process(raw("first post", author="tidal_heron_42"), thread=thread)
    reply = pipeline.process(raw("agree with tidal_heron_42 and u/copper_kettle_9", native_id="c2", parent="comment-a",
                                 author="other_person_5"), thread=thread)
    assert reply.post.text == "agree with [USER_1] and [USER_2]"
    assert reply.post.parent_id == pipeline.published_id("forum", "comment-a")
    # a post read alone gets a fresh numbering
    alone = pipeline.process(raw("thanks u/copper_kettle_9", native_id="c3", thread="t2"))
    assert alone.post.text == "thanks [USER_1]"


def test_public_ids_and_source_labels_pass_through():
    label = LabelRecord(name="first_hand", value=1, origin="external", by="psytar", agent=Agent.DATASET.value)
    done = PostPipeline(key=KEY, public_ids=True).process(raw("took zoloft", labels=(label,)))
    assert done.post.post_id == "forum-comment-a"
    assert done.post.labels == [label.to_dict()]


def test_subject_drugs_count_as_mentions():
    done = PostPipeline(key=KEY).process(raw("It helped a lot.", subject_drugs=("zoloft",)))
    assert done.post.drugs == ["sertraline"]


@pytest.mark.parametrize("text, title, reason", [(" . ", None, "empty post"), ("", "", "empty post"),
                                                 ("x" * 1_000_001, None, "post larger than")])
def test_bad_posts_raise_with_file_and_line(text, title, reason):
    with pytest.raises(BadInput, match=rf"posts.csv:7: {reason}"):
        PostPipeline(key=KEY).process(raw(text, title=title))


def test_an_emoji_is_content():
    assert post_problem(raw("🙂")) is None


def test_site_furniture_is_dropped_with_its_rule():
    bot = "Generic message! *I am a bot, and this action was performed automatically. Please contact the moderators.*"
    with pytest.raises(FurniturePost) as e:
        PostPipeline(key=KEY).process(raw(bot))
    assert e.value.rule_id
