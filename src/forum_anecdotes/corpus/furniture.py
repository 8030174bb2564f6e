"""Removing site furniture (banners, bio boxes, related-post lists, bot messages) by rules written as data.

The rules live in ``resources/furniture.yaml``; this module only applies them, so a new site's
furniture is a new rule, not new code.
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import re
from pathlib import Path

import yaml

from forum_anecdotes.paths import RESOURCES_DIR

RULES_FILE = RESOURCES_DIR / "furniture.yaml"


@dataclasses.dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    pattern: re.Pattern


@dataclasses.dataclass
class CleanedDocument:
    """A document with its furniture removed.

    Args:
        lines: the remaining lines (blank lines kept, so block structure survives).
        line_numbers: each remaining line's 1-based number in the original document.
        author: an author name found in furniture (e.g. a bio box), or None.
        dropped: how many lines, sections or posts each rule removed.
    """

    lines: list[str]
    line_numbers: list[int]
    author: str | None
    dropped: collections.Counter


@dataclasses.dataclass(frozen=True)
class FurnitureRules:
    """The three kinds of rule: lines, sections to the end, whole posts."""

    drop_lines: tuple[Rule, ...]
    drop_sections: tuple[Rule, ...]
    drop_posts: tuple[Rule, ...]

    @classmethod
    def load(cls, path: Path = RULES_FILE) -> "FurnitureRules":
        """Read the rules from YAML.

        Raises:
            ValueError: naming the file and rule for a missing field or a bad pattern.
        """
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        kinds = {}
        for kind in ("drop_lines", "drop_sections", "drop_posts"):
            rules = []
            for i, entry in enumerate(data.get(kind) or [], start=1):
                try:
                    rules.append(Rule(entry["id"], entry["reason"], re.compile(entry["pattern"], re.IGNORECASE)))
                except (KeyError, TypeError, re.error) as e:
                    raise ValueError(f"{path}: {kind} rule #{i}: {e}") from None
            kinds[kind] = tuple(rules)
        return cls(**kinds)

    def clean_document(self, text: str) -> CleanedDocument:
        """Drop furniture lines and sections from a whole web document.

        Args:
            text: the document as plain text.

        Returns:
            The remaining lines with their 1-based line numbers in ``text``, an author found in a
            bio box, and counts by rule id.
        """
        dropped: collections.Counter = collections.Counter()
        author = None
        lines = text.splitlines()
        end = len(lines)
        for i, line in enumerate(lines):
            rule, match = _first_match(self.drop_sections, line)
            if rule is not None:
                # A section runs to the end of the page; later sections (a bio box after a list of
                # related posts) are inside it, but may still name the author.
                dropped[rule.id] += 1
                end = min(end, i)
                author = match.groupdict().get("author") or author
        kept: list[str] = []
        numbers: list[int] = []
        for number, line in enumerate(lines[:end], start=1):
            rule, _ = _first_match(self.drop_lines, line)
            if rule is not None:
                dropped[rule.id] += 1
                continue
            kept.append(line)
            numbers.append(number)
        return CleanedDocument(lines=kept, line_numbers=numbers, author=author, dropped=dropped)

    def post_rule(self, text: str) -> Rule | None:
        """The drop_posts rule a whole post matches, or None."""
        return _first_match(self.drop_posts, text)[0]


def _first_match(rules, text):
    for rule in rules:
        match = rule.pattern.search(text)
        if match:
            return rule, match
    return None, None


@functools.lru_cache(maxsize=1)
def default_rules() -> FurnitureRules:
    """The project's furniture rules (loaded once)."""
    return FurnitureRules.load()
