"""Rendering the data card (``DATA_CARD.md`` and the corpus folder's ``README.md``) from a build report.

The prose lives in ``resources/data_card_template.md``; every table of counts is generated here
from the build report, so the card always describes the data it ships with. The YAML header
carries the ``configs`` that make ``datasets.load_dataset("corpus")`` find the split files, and the
features, so that every split loads with the same types.
"""
from __future__ import annotations

import json
import string
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import yaml

from forum_anecdotes import labels, paths
from forum_anecdotes.gold import gold_features
from forum_anecdotes.corpus.sources import SourceSpec
from forum_anecdotes.corpus.summary import (
    THREADS_LINKED,
    placeholder_table,
    report_split_table,
)
from forum_anecdotes.schema import LABEL_CONTRACT_VERSION, SPLITS, features

TEMPLATE = paths.RESOURCES_DIR / "data_card_template.md"
#: Gold positives per label the project aims for; the card says where a label has fewer.
MIN_GOLD_POSITIVES = 150


def card_header(report: dict) -> dict:
    """The YAML metadata of the card (Hugging Face dataset card format).

    Args:
        report: a build report.

    Returns:
        A dict to dump as the card's YAML header.
    """
    import datasets

    totals = report_split_table(report).loc["total"]
    n_posts = int(totals["posts"])
    info = datasets.DatasetInfo(features=features())._to_yaml_dict()
    info["config_name"] = "default"
    info["splits"] = [{"name": s, "num_bytes": report.get("split_bytes", {}).get(s, 0), "num_examples": int(totals[f"posts_{s}"])} for s in SPLITS]
    gold_info = datasets.DatasetInfo(features=gold_features())._to_yaml_dict()
    gold_info["config_name"] = "gold"
    return {
        "pretty_name": "Forum anecdotes: drug-experience posts for harm-reduction research",
        "language": ["en"],
        "license": "other",
        "license_name": "per-source",
        "license_details": "Per-source terms: see the 'Sources and terms' section.",
        "multilinguality": "monolingual",
        "language_creators": ["found"],
        "annotations_creators": ["expert-generated"],  # PsyTAR's annotators; no automatic label is published
        "size_categories": [_size_category(n_posts)],
        "source_datasets": ["original", "extended|PsyTAR", "extended|Reddit Mental Health Dataset"],
        "task_categories": ["text-classification"],
        "task_ids": ["multi-label-classification"],
        "tags": ["harm-reduction", "pharmacovigilance", "drug-use", "reddit", "forums", "adverse-drug-events"],
        "configs": [
            {"config_name": "default", "default": True, "data_files": [{"split": s, "path": f"data/{s}.jsonl"} for s in SPLITS]},
            {"config_name": "gold", "data_files": [{"split": s, "path": f"data/gold/{s}.jsonl"} for s in SPLITS]},
        ],
        "dataset_info": [info, gold_info],
    }


def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return label
    return "1M<n<10M"


def _markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub markdown table, without the optional ``tabulate`` dependency."""
    def cell(v):
        return f"{v:,}" if isinstance(v, int) or (hasattr(v, "dtype") and v.dtype.kind == "i") else str(v)
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" if i == 0 else "---:" for i in range(len(frame.columns))) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _sources_table(report: dict, sources: Sequence[SourceSpec]) -> str:
    rows = []
    for spec in sources:
        stats = report["sources"].get(spec.name, {})
        rows.append({
            "source": spec.name,
            "published as": spec.publish.value.replace("_", " "),
            "records read": stats.get("read", 0),
            "rejected": sum(stats.get("rejected", {}).values()),
            "repeats skipped": sum(stats.get("skipped", {}).values()),
            "bot posts dropped": sum(stats.get("furniture_posts_dropped", {}).values()),
        })
    return _markdown_table(pd.DataFrame(rows))


def _selection_table(report: dict) -> str:
    frame = pd.DataFrame.from_dict(report["selection"], orient="index")
    frame.index.name = "source"
    return _markdown_table(frame.reset_index())


def _terms_section(sources: Sequence[SourceSpec]) -> str:
    parts = []
    for spec in sources:
        part = [f"### `{spec.name}`", "", spec.description, "", f"- **Origin:** {spec.origin}",
                f"- **Terms:** {spec.licence}", f"- **Published:** {spec.publish.value.replace('_', ' ')}"]
        if spec.citation:
            part.append(f"- **Cite:** {spec.citation}")
        parts.append("\n".join(part))
    return "\n\n".join(parts)


def _pii_tables(report: dict) -> str:
    """One table per PII test set: identifiers, recall and precision per type, and the recall target."""
    from forum_anecdotes.corpus import pii_eval

    sets = report.get("pii_evaluation")
    if not sets:
        return "_The PII test sets were not found at build time; run `make pii-eval`._"

    def figure(value):
        return "-" if value is None else f"{value:.3f}"

    parts = []
    for name, scores in sets.items():
        targets = pii_eval.targets_for(name)
        rows = [{"type": kind, "identifiers": s["gold"], "recall": figure(s["recall"]), "precision": figure(s["precision"]),
                 "target recall": f"{targets[kind]:.2f}" if kind in targets else "-"} for kind, s in scores.items()]
        parts.append(f"`{name}`:\n\n" + _markdown_table(pd.DataFrame(rows)))
    return "\n\n".join(parts)


def _lexicon_figures(report: dict) -> dict[str, str]:
    """The lexicon's measured precision and recall, as the card's sentences and table."""
    scores = report.get("lexicon_evaluation")
    if not scores:
        return {"lexicon_summary": "not measured in this build", "lexicon_posts": "no", "lexicon_table": ""}
    mentions, posts = scores["mentions"], scores["posts_with_any_substance"]
    rows = [
        {"measured on": "substance mentions (post, substance)", "tp": mentions["tp"], "fp": mentions["fp"],
         "fn": mentions["fn"], "precision": f"{mentions['precision']:.3f}", "recall": f"{mentions['recall']:.3f}"},
        {"measured on": "posts with any substance", "tp": posts["tp"], "fp": posts["fp"], "fn": posts["fn"],
         "precision": f"{posts['precision']:.3f}", "recall": f"{posts['recall']:.3f}"},
    ]
    return {
        "lexicon_summary": f"precision {mentions['precision']:.2f} and recall {mentions['recall']:.2f} "
                           f"per mention on {scores['posts']} posts read by hand, see Bias, Risks, and Limitations",
        "lexicon_posts": f"{scores['posts']:,}",
        "lexicon_table": _markdown_table(pd.DataFrame(rows)),
    }


def _label_table(report: dict) -> str:
    counts = report.get("labels") or {}
    if not counts:
        return "_No labels yet._"
    rows = [{"label": name, "origin": origin, "by": by, "value 1": v.get("1", 0), "value 0": v.get("0", 0)}
            for (name, origin, by), v in ((tuple(k.split("|")), v) for k, v in counts.items())]
    return _markdown_table(pd.DataFrame(rows))


def _agreement_rounds() -> list[dict]:
    """The agreement reports kept in ``annotation/agreement/`` (one JSON per round), in round order."""
    folder = paths.ANNOTATION_DIR / "agreement"
    return [json.loads(p.read_text(encoding="utf-8")) | {"_file": p.name}
            for p in sorted(folder.glob("*.json"))] if folder.exists() else []


def _interval(value, ci) -> str:
    if value is None:
        return "-"
    if not ci or ci[0] is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def _external_agreement_section(figures: dict) -> str:
    """The paragraph and table comparing an external dataset's mapped labels with the annotated values."""
    rows = [{"label": name, "posts with both": f["posts"], "both 1": f["both_positive"],
             "external 1, annotated 0": f["external_only"], "external 0, annotated 1": f["annotated_only"],
             "both 0": f["both_negative"], "Cohen's kappa [95% CI]": _interval(f.get("kappa"), f.get("kappa_ci"))}
            for name, f in figures.items()]
    return ("**External labels beside the guide.** PsyTAR's annotators labelled under their own guidelines, "
            "mapped onto the contract (`origin: external`). Where a post also has a value from annotators working "
            "under this project's guide, that value is gold (the gold policy ranks annotated above external) and "
            "PsyTAR's stays in the post's label records. How the two agree, on the posts that have both "
            "(Cohen's kappa, 95% percentile bootstrap interval over posts, 1,000 resamples):\n\n"
            + _markdown_table(pd.DataFrame(rows)))


def _annotation_section(report: dict) -> str:
    """Who labelled what, how posts were chosen, gold counts, and agreement with intervals, per round."""
    gold = report.get("gold") or {}
    rounds = _agreement_rounds()
    if not gold.get("posts") or not any((lb.get("by_origin") or {}).keys() - {"external"} for lb in gold.get("labels", {}).values()):
        return ("The release carries PsyTAR's labels mapped onto the contract (`origin: external`); no post has "
                "an `annotator` or `adjudicated` label yet.")
    parts = [string.Template((paths.RESOURCES_DIR / "annotation_section.md").read_text(encoding="utf-8")).substitute(
        gold_posts=f"{gold['posts']:,}",
        by_source=", ".join(f"{k} {v:,}" for k, v in gold["by_source"].items()),
        by_selection=", ".join(f"{k} {v:,}" for k, v in gold["by_selection"].items()),
        by_batch=", ".join(f"{k} {v:,}" for k, v in gold.get("by_batch", {}).items()),
        label_counts=_markdown_table(pd.DataFrame([
            {"label": name, "known (gold)": c["known"], "positive": c["positive"],
             **{f"from {origin}": n for origin, n in c["by_origin"].items()}}
            for name, c in gold["labels"].items()]).fillna(0).astype({f"from {o}": int for c in gold["labels"].values()
                                                                      for o in c["by_origin"]})),
    )]
    if gold.get("external_vs_annotated"):
        parts.append(_external_agreement_section(gold["external_vs_annotated"]))
    few = {name: c["positive"] for name, c in gold["labels"].items() if c["positive"] < MIN_GOLD_POSITIVES}
    if few:
        parts.append("**Short of positives.** " + ", ".join(f"`{n}` has {v:,} gold positives" for n, v in few.items())
                     + f", fewer than the {MIN_GOLD_POSITIVES} the project aims for: the sources hold few such reports "
                     "outside PsyTAR, and batches drawn for them from posts naming an antidepressant with withdrawal cues "
                     "(`ssri1`, `ssri2`) found few more. Treat figures for these labels as uncertain.")
    for rnd in rounds:
        rows = [{"label": name, "posts with 2+ answers": s["n_posts_double"], "prevalence": f"{s['prevalence']:.3f}"
                 if s.get("prevalence") is not None else "-",
                 "Krippendorff's alpha [95% CI]": _interval(s.get("alpha"), s.get("alpha_ci")),
                 "Cohen's kappa [95% CI]": _interval(s.get("kappa"), s.get("kappa_ci"))}
                for name, s in rnd["labels"].items() if s["n_posts_double"]]  # a round may ask some labels only
        set_level = rnd.get("set") or {}
        parts.append(f"**{rnd.get('title', rnd['_file'])}** (`annotation/agreement/{rnd['_file']}`; "
                     f"set-level alpha over all labels {_interval(set_level.get('alpha'), set_level.get('alpha_ci'))}):\n\n"
                     + _markdown_table(pd.DataFrame(rows)))
    return "\n\n".join(parts)


def render_card(report: dict, *, sources: Sequence[SourceSpec]) -> str:
    """The complete data card: YAML header and Markdown body.

    Args:
        report: the build report.
        sources: the sources of the build.

    Returns:
        The card as text.
    """
    totals = report_split_table(report).loc["total"]
    body = string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        n_posts=f"{int(totals['posts']):,}",
        n_threads=f"{int(totals['threads']):,}",
        split_table=_markdown_table(report_split_table(report).rename_axis("source").reset_index()),
        placeholder_table=_markdown_table(placeholder_table(report).rename_axis("source").reset_index()),
        sources_table=_sources_table(report, sources),
        selection_table=_selection_table(report),
        terms_section=_terms_section(sources),
        pii_tables=_pii_tables(report),
        annotation_section=_annotation_section(report),
        n_linked=f"{sum(report.get(THREADS_LINKED, {}).values()):,}",
        contract_label_table=labels.markdown_table(),
        **_lexicon_figures(report),
        label_table=_label_table(report),
        dedup_min_words=report["deduplication"]["min_words_compared"],
        exact_dups=f"{report['deduplication']['exact_duplicates_removed']:,}",
        near_dups=f"{report['deduplication']['near_duplicates_removed']:,}",
        kept_dups=f"{report['deduplication']['duplicates_kept_because_replied_to']:,}",
        dangling=f"{report['parents_not_in_input']:,}",
        label_contract_version=LABEL_CONTRACT_VERSION,
    )
    header = yaml.safe_dump(card_header(report), sort_keys=False, allow_unicode=True)
    return f"---\n{header}---\n\n{body}"


def write_card(report: dict, *, sources: Sequence[SourceSpec], paths_out: Sequence[Path]) -> None:
    """Render the card once and write it, atomically, to each of ``paths_out``."""
    from forum_anecdotes.io import atomic_write

    card = render_card(report, sources=sources)
    for path in paths_out:
        with atomic_write(path) as f:
            f.write(card)
