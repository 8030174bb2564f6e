"""The source catalogue: every raw source the build knows, where it lies, and what its terms allow.

Each :class:`SourceSpec` declares what may be published (:class:`~forum_anecdotes.schema.Publish`);
the build enforces it. The built-in catalogue covers the sources of ``shared/data/README.md``; more
sources (a Pushshift dump, a Discourse export, any JSONL/CSV with a column mapping) are added with
a YAML manifest, see :func:`load_manifest`.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from forum_anecdotes.schema import Publish


@dataclasses.dataclass(frozen=True)
class SourceSpec:
    """One raw source.

    Args:
        name: short name, used in ``post_id`` prefixes and the ``source`` field.
        importer: key of :data:`forum_anecdotes.corpus.importers.IMPORTERS`.
        path: file or folder, relative to the raw-data folder (or absolute).
        publish: what the source's terms allow the project to publish.
        description: one line for the data card.
        origin: where the raw data comes from, and how to obtain it.
        licence: the terms, in short.
        citation: how to cite it (BibTeX or a reference), or "".
        negative_rate: share of threads with no substance mention kept as negatives.
        options: importer settings (e.g. a column mapping for the generic importers).
        public_ids: publish the source's own post ids instead of keyed digests (only for sources
            whose ids are public and meant to be cited, see :func:`forum_anecdotes.ids.published_id`).
    """

    name: str
    importer: str
    path: str
    publish: Publish
    description: str
    origin: str
    licence: str
    citation: str = ""
    negative_rate: float = 0.1
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    public_ids: bool = False

    def resolve(self, raw_dir: Path) -> Path:
        """The source's path, relative paths taken from ``raw_dir``."""
        p = Path(self.path)
        return p if p.is_absolute() else raw_dir / p


BUILTIN_SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        name="seeds",
        importer="seeds",
        path="seeds",
        publish=Publish.FULL_TEXT,
        description="Five web documents the project started from: blog posts with comments, a clinic blog "
        "page, a WordPress page and a Drugs-Forum thread with replies (ketamine and depression, SSRI "
        "withdrawal, ketamine harms).",
        origin="Given to the project as plain-text copies of the web pages (shared/data/seeds/).",
        licence="Included as the project's seed source; forum handles are pseudonymised.",
        negative_rate=1.0,  # five hand-picked documents: keep them all
        options={
            "communities": {
                "000_8d5b6481250eb155": "personal-blog",
                "001_02630316c7bb2a6a": "clinic-blog",
                "002_feff5b05709d584f": "clinic-page",
                "003_4bd7097293acace5": "drugs-forum.com",
                "004_52951e371696440b": "personal-blog",
            }
        },
    ),
    SourceSpec(
        name="psytar",
        importer="psytar",
        path="psytar/PsyTAR_dataset.xlsx",
        publish=Publish.IDS_AND_LABELS,
        description="PsyTAR: askapatient.com reviews of Zoloft, Lexapro and Cymbalta with sentence-level "
        "labels (ADR, WD, EF, ...), mapped to post-level labels.",
        origin="Workbook as published in the public GitHub repository basaldella/psytarpreprocessor.",
        licence="Corpus labels CC BY 4.0; the post text falls under AskaPatient's terms of use (research "
        "use only, no republishing), so only ids, metadata and labels are published.",
        citation="Zolnoori M, Fung KW, Patrick TB, et al. The PsyTAR dataset: From patients generated "
        "narratives to a corpus of adverse drug events and effectiveness of psychiatric medications. "
        "Data in Brief 24 (2019) 103838. -- Zolnoori M, et al. A systematic approach for developing a "
        "corpus of patient reported adverse drug events: A case study for SSRI and SNRI medications. "
        "Journal of Biomedical Informatics 90 (2019) 103091.",
        negative_rate=0.0,
        public_ids=True,  # PsyTAR's review ids ("lexapro.12") are public: users re-attach text by them
    ),
    SourceSpec(
        name="rmhd",
        importer="rmhd",
        path="rmhd/rmhd_27subreddits_260posts.csv",
        publish=Publish.FULL_TEXT,
        description="Reddit Mental Health Dataset subset: 260 posts from each of 27 subreddits (mental "
        "health, addiction, and non-health communities), 2018-2019.",
        origin="Low et al. 2020; the file ships in the PyPI package construct-tracker 1.0.16.",
        licence="Public Domain Dedication and License 1.0 per its authors; re-use subject to Reddit's API "
        "terms. Usernames are pseudonymised.",
        options={"collect_community_names": True},  # posts may name authors of other posts
        citation="Low DM, Rumker L, Talkar T, Torous J, Cecchi G, Ghosh SS. Natural Language Processing "
        "Reveals Vulnerable Mental Health Support Groups and Heightened Health Anxiety on Reddit During "
        "COVID-19: Observational Study. J Med Internet Res 2020;22(10):e22635.",
    ),
    SourceSpec(
        name="opiates",
        importer="opiates",
        path="opiates/r_opiates_partial.csv",
        publish=Publish.FULL_TEXT,
        description="r/opiates submissions and comments (texts only: no authors, dates or thread ids).",
        origin="Public GitHub repository yangzhou95/opioid_on_reddit, file "
        "code/topic_modelling/partial_dataset.csv.",
        licence="MIT licence of that repository; the text is Reddit users' writing, re-use subject to "
        "Reddit's terms.",
    ),
    SourceSpec(
        name="reddit_threads",
        importer="reddit_threads",
        path="reddit_threads",
        publish=Publish.IDS_AND_LABELS,
        description="Real Reddit threads with their reply trees: r/Drugs and r/researchchemicals threads "
        "found by drug names (Oct 2019 - Oct 2020), and r/opiates comment trees with their opening posts.",
        origin="Public GitHub repositories smartypantsgc9/checkpoint2 (folder `Drug Data/`, commit 5dd06cc) "
        "and akilby/drug_pricing (folder `sample_data/`, commit 749f0d3), scraped from Reddit's API in 2019-2020.",
        licence="No licence from either repository; the text is Reddit users' writing under Reddit's terms. "
        "Published as keyed ids, reply structure, coarsened dates, substances and labels only; the text "
        "stays with whoever holds the raw files.",
        options={"collect_community_names": True},  # replies name other users, bare or as u/...
    ),
)

#: Sources that are analysed but never part of the corpus (``publish: nothing``): read by the tag
#: script and the analysis command, not by the build.
ANALYSIS_SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        name="opiates_submissions",
        importer="opiates_submissions",
        path="reddit_threads/opiates/submissions.csv.gz",
        publish=Publish.NOTHING,
        description="All 131,460 r/opiates submissions of 2010-2019 (title and body); 454 of them open the "
        "comment trees of reddit_threads.",
        origin="Public GitHub repository akilby/drug_pricing (folder `sample_data/`, commit 749f0d3).",
        licence="No licence; Reddit users' writing. Used locally for aggregate analysis only.",
    ),
)


class ManifestError(ValueError):
    """A manifest that cannot be used; the message is one line naming the file and the field."""


#: Characters a source name may hold: it prefixes every post id ("<source>-<id>").
_SOURCE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def load_manifest(path: str | Path) -> tuple[SourceSpec, ...]:
    """Read extra sources from a YAML manifest, checking every field before anything is imported.

    The manifest is a list under ``sources:``; each entry has the fields of :class:`SourceSpec`
    (``publish`` as ``full_text``, ``ids_and_labels`` or ``nothing``). Relative paths are taken
    from the manifest's folder.

    Args:
        path: the manifest file.

    Returns:
        The sources it declares, in order.

    Raises:
        ManifestError: one line naming the manifest, the entry and the field, for an unreadable
            file, bad YAML, a missing or unknown field, an unknown importer or ``publish`` value,
            a bad source name or negative rate, or options that are not a mapping.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ManifestError(f"{path}: cannot read the manifest: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: the manifest is not UTF-8 text") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ManifestError(f"{where}: not valid YAML ({getattr(e, 'problem', None) or 'syntax error'})") from None
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list) or not data["sources"]:
        raise ManifestError(f"{path}: expected a non-empty list under `sources:`")
    specs = [_manifest_entry(entry, f"{path}: sources[{i}]", base=path.parent) for i, entry in enumerate(data["sources"])]
    seen = set()
    for i, spec in enumerate(specs):
        if spec.name in seen or spec.name in {s.name for s in BUILTIN_SOURCES}:
            raise ManifestError(f"{path}: sources[{i}].name: {spec.name!r} is already a source name")
        seen.add(spec.name)
    return tuple(specs)


def _manifest_entry(entry: Any, where: str, *, base: Path) -> SourceSpec:
    from forum_anecdotes.corpus.importers import (
        IMPORTERS,  # the registry, without loading the importers
    )

    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: expected a mapping of fields")
    fields = {f.name: f for f in dataclasses.fields(SourceSpec)}
    unknown = sorted(set(entry) - set(fields))
    if unknown:
        raise ManifestError(f"{where}.{unknown[0]}: unknown field; the fields are {', '.join(fields)}")
    for name in ("name", "importer", "path", "publish"):
        if entry.get(name) in (None, ""):
            raise ManifestError(f"{where}.{name}: missing")
    for name in ("name", "importer", "path", "description", "origin", "licence", "citation"):
        if name in entry and not isinstance(entry[name], str):
            raise ManifestError(f"{where}.{name}: expected text")
    if not _SOURCE_NAME.fullmatch(entry["name"]):
        raise ManifestError(f"{where}.name: {entry['name']!r} must be lowercase letters, digits and _ (up to 40)")
    if entry["importer"] not in IMPORTERS:
        raise ManifestError(f"{where}.importer: unknown importer {entry['importer']!r}; known: {', '.join(sorted(IMPORTERS))}")
    try:
        publish = Publish(entry["publish"])
    except ValueError:
        raise ManifestError(f"{where}.publish: {entry['publish']!r} is not one of {', '.join(p.value for p in Publish)}") from None
    rate = entry.get("negative_rate", 0.1)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ManifestError(f"{where}.negative_rate: expected a number from 0 to 1")
    if not isinstance(entry.get("options", {}), dict):
        raise ManifestError(f"{where}.options: expected a mapping")
    if not isinstance(entry.get("public_ids", False), bool):
        raise ManifestError(f"{where}.public_ids: expected true or false")
    resolved = Path(entry["path"])
    values = {
        "description": "", "origin": "", "licence": "", **entry,
        "publish": publish,
        "negative_rate": float(rate),
        "path": str(resolved if resolved.is_absolute() else (base / resolved).resolve()),
    }
    return SourceSpec(**values)
