"""The source catalogue: every raw source the build knows, where it lies, and what its terms allow.

Each :class:`SourceSpec` declares what may be published (:class:`~forum_anecdotes.schema.Publish`);
the build enforces it. The built-in catalogue covers the sources of ``shared/data/README.md``; more
sources (a Pushshift dump, a Discourse export, any JSONL/CSV with a column mapping) are added with
a YAML manifest, see :func:`load_manifest`.
"""
from __future__ import annotations

import dataclasses
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
)


def load_manifest(path: str | Path) -> tuple[SourceSpec, ...]:
    """Read extra sources from a YAML manifest.

    The manifest is a list under ``sources:``; each entry has the fields of :class:`SourceSpec`
    (``publish`` as ``full_text``, ``ids_and_labels`` or ``nothing``). Relative paths are taken
    from the manifest's folder.

    Raises:
        ValueError: naming the manifest and entry for a missing or unknown field.
    """
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    fields = {f.name for f in dataclasses.fields(SourceSpec)}
    specs = []
    for i, entry in enumerate(data.get("sources") or [], start=1):
        unknown = set(entry) - fields
        if unknown:
            raise ValueError(f"{path}: source #{i}: unknown field(s) {', '.join(sorted(unknown))}")
        try:
            entry = dict(entry)
            entry["publish"] = Publish(entry["publish"])
            entry.setdefault("description", "")
            entry.setdefault("origin", "")
            entry.setdefault("licence", "")
            p = Path(entry["path"])
            entry["path"] = str(p if p.is_absolute() else (path.parent / p).resolve())
            specs.append(SourceSpec(**entry))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{path}: source #{i}: {e}") from None
    return tuple(specs)
