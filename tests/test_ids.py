"""The id rules: keyed published ids, public ids, 64-bit keys."""
from forum_anecdotes.ids import ID_DIGEST_LENGTH, id_key64, published_id

KEY = b"forum-anecdotes-test-key-0123456789"


def test_keyed_ids_hide_the_native_id_and_depend_on_the_key():
    a = published_id("reddit_threads", "t3_abc123", key=KEY)
    assert a.startswith("reddit_threads-") and "abc123" not in a
    assert len(a.split("-", 1)[1]) == ID_DIGEST_LENGTH
    assert a == published_id("reddit_threads", "t3_abc123", key=KEY)
    assert a != published_id("reddit_threads", "t3_abc123", key=KEY[::-1])
    assert a != published_id("other", "t3_abc123", key=KEY)


def test_public_ids_are_kept():
    assert published_id("psytar", "zoloft.12", key=KEY, public=True) == "psytar-zoloft.12"


def test_key64_is_nonzero_and_stable():
    assert id_key64("x-1") == id_key64("x-1") != id_key64("x-2")
    assert all(id_key64(f"s-{i}") != 0 for i in range(1000))


def test_key_id_names_a_key_without_revealing_it():
    from forum_anecdotes.keys import key_id

    assert key_id(KEY) == key_id(KEY) != key_id(KEY[::-1])
    assert len(key_id(KEY)) == 12 and KEY.hex()[:12] != key_id(KEY)
