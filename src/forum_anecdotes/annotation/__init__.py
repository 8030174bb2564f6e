"""Annotation: task batches, the labeling page, answers, validation, agreement, adjudication, interop.

Every stage reads and writes the records of :mod:`forum_anecdotes.annotation.records`: a *task* is
one post to label (with its thread context), an *answer* is one annotator's labels for one task.
Answers are appended to JSON Lines files and never rewritten; the latest answer of an annotator for
a post wins, and an undo is itself an appended record.
"""
