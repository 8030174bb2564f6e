"""The PsyTAR importer: post labels from the sentence sheet, and the sentences themselves for training."""
import pytest

from forum_anecdotes.corpus.importers.psytar import import_psytar, read_labelled_sentences
from forum_anecdotes.io import BadInput, Rejects

from raw_fixtures import write_raw_dir


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    return write_raw_dir(tmp_path_factory.mktemp("raw")) / "psytar" / "PsyTAR_dataset.xlsx"


def test_labelled_sentences_in_sheet_order_with_their_codes(workbook):
    sentences = list(read_labelled_sentences(workbook))
    assert [(s.review_id, s.index) for s in sentences] == [
        ("zoloft.1", 1), ("zoloft.1", 2), ("zoloft.2", 1), ("zoloft.2", 2), ("zoloft.2", 3), ("zoloft.2", 4)]
    assert [s.line for s in sentences] == [2, 3, 4, 5, 6, 7]  # the blank row is not a sentence
    assert sentences[0].codes == {"ADR"} and sentences[1].codes == {"EF"} and sentences[4].codes == frozenset()
    assert sentences[2].labels == {"effect_adverse": 0, "ssri_withdrawal": 1, "effect_beneficial": 0}
    assert sentences[2].text == "Brain zaps when I missed doses."


def test_post_labels_are_any_sentence_label(workbook):
    rejects = Rejects()
    posts = {p.native_id: {r.name: r.value for r in p.labels} for p in import_psytar(workbook, source="psytar", rejects=rejects)}
    assert posts == {"zoloft.1": {"effect_adverse": 1, "ssri_withdrawal": 0, "effect_beneficial": 1},
                     "zoloft.2": {"effect_adverse": 0, "ssri_withdrawal": 1, "effect_beneficial": 0}}


def test_unreadable_workbook_names_the_file(tmp_path):
    bad = tmp_path / "PsyTAR_dataset.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(BadInput, match="PsyTAR_dataset.xlsx.*cannot read the workbook"):
        list(read_labelled_sentences(bad))
