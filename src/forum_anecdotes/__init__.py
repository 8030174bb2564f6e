"""forum_anecdotes: an open corpus and toolkit for research on what people report about drugs in online forums.

Stages, one subpackage each: :mod:`forum_anecdotes.corpus` (import, anonymise, build, load);
annotation and models follow. Records and labels are defined once in :mod:`forum_anecdotes.schema`.
"""
__version__ = "0.1.0"


def load_corpus(**kwargs):
    """Load the published corpus; see :func:`forum_anecdotes.corpus.load.load_corpus`."""
    from forum_anecdotes.corpus.load import load_corpus as _load_corpus

    return _load_corpus(**kwargs)
