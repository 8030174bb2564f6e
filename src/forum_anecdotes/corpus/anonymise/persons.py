"""Person names in free text that no honorific announces: NAME.

Three kinds of cue, each with the evidence it gives (:class:`~.wordlists.Evidence`):

* third parties after a relation noun: "my brother Luis", "my best friend, A***", "my son
  (Oren, 22)", "his girl X", "nurse X" (STRONG: only common words are refused, so "my doctor
  Prescribed" is not a name; MEDIUM when the relation noun is capitalised, as in Title Case);
* self-introductions: "I'm Hannah, 34", "im Saoirse and ...", "Dev here.", "Jake, 27, long time
  lurker", "X (29f) here", "this is Carla from ...", "its X again" (MEDIUM with an age or "here",
  else WEAK: "I'm Tired", "I'm Sober", "Lurker here" and "Canadian here" are no names);
* signatures at the end of a post (:func:`_find_signature`): "Cheers,\\nMarek", "-E", "— Tom",
  "~ J", "xx P", "Ottilie x", "... good luck. Rachel." (MEDIUM after a dash or a closing phrase, WEAK
  for a bare last line or a last one-word sentence).

Drug street names that look like given names ("Molly", "Tina", "Charlie") are never names: see
:mod:`~forum_anecdotes.corpus.anonymise.wordlists`.
"""
from __future__ import annotations

import re

from forum_anecdotes.corpus.anonymise.names import _whole_word_positions
from forum_anecdotes.corpus.anonymise.patterns import _lowered
from forum_anecdotes.corpus.anonymise.wordlists import (
    Evidence,
    could_be_name,
    strip_possessive,
)

# A candidate span: (start, end, kind, placeholder)
_Candidate = tuple[int, int, str, str]

# A capitalised word; Python checks the case of what it matches ([^\W\d_] is any letter).
_TOKEN = r"[A-ZÀ-ÖØ-ÞĀ-ſ][^\W\d_]*(?:[-'’][^\W\d_]+)?"
_MASKED = r"[A-Z](?:\*{1,6}|\.)"  # "A***", "J."
_INITIALS = re.compile(r"[A-Z]{1,2}")  # three capitals are mostly acronyms ("PSA", "TIA")
# Capitals that are no initials where a signature may stand
_NOT_INITIALS = frozenset(
    "I A OP PS TL DR ER ICU OK UK US USA EU NA AA CA NHS GP MD RN PA NP PM AM LOL OMG WTF IMO TBH EDIT FYI BTW "
    "THC CBD DXM LSD MDMA GHB PCP IV IM ADHD OCD PTSD MAT TY XO GL TC SO BF GF".split()
)

_RELATIONS = (
    "friend|buddy|mate|pal|bff|bestie|brother|bro|sister|sis|wife|husband|hubby|wifey|partner|boyfriend|girlfriend"
    "|bf|gf|fiance|fiancé|fiancee|fiancée|ex|son|daughter|kid|child|mom|mum|mother|mommy|momma|mama|dad|father|daddy"
    "|papa|stepdad|stepmom|stepmum|stepson|stepdaughter|stepbrother|stepsister|grandma|grandpa|grandmother"
    "|grandfather|granny|nan|nana|gran|cousin|uncle|aunt|auntie|aunty|niece|nephew|roommate|roomie|flatmate|housemate"
    "|neighbor|neighbour|coworker|colleague|boss|manager|sponsor|sponsee|counselor|counsellor|therapist"
    "|psychiatrist|psychologist|nurse|doc|doctor|gp|pcp|prescriber|pharmacist|caseworker|worker|officer"
    "|po|dealer|plug|connect|girl|guy|boy|man|lady|dude|homie"
)
# Words between the determiner and the relation noun: "my best friend", "her case worker"
_RELATION_ADJECTIVES = (
    "best|old|oldest|late|older|elder|eldest|younger|youngest|little|big|baby|twin|step|good|close|new|former"
    "|current|ex|childhood|favorite|favourite|only|lovely|amazing|awesome|wonderful|case|social|probation|parole|co"
)
# The relation noun is found by word lookup (:func:`_find_relations`); these patterns then look
# after it for the name and before it for the determiner ("my", "her best", "our old").
_RELATION_AFTER = re.compile(
    rf"(?:[\s-](?i:in)[\s-](?i:law))?(?:\s*,\s*|\s*\(\s*|\s+)(?P<name>{_MASKED}|{_TOKEN})(?:\s+(?P<name2>{_TOKEN}))?"
)
_DETERMINER_BEFORE = re.compile(
    rf"(?:^|[^\w'’])(?P<det>my|our|his|her|their|your|ur|the)\s+(?:(?:{_RELATION_ADJECTIVES})[\s-]+){{0,2}}$"
)
_RELATION_WORDS = frozenset(_RELATIONS.split("|"))
# Titles used without a determiner: "Nurse Patel", "nurse Adeyinka on the night shift"
_TITLE_WORDS = frozenset({"nurse", "coach", "officer", "pastor", "reverend", "detective", "sheriff"})
_TITLE_AFTER = re.compile(rf"\s+(?P<name>{_TOKEN})(?:\s+(?P<name2>{_TOKEN}))?")
_AGE_CUE = re.compile(r"[,(]\s*[mMfF]?\d{2}\b")
# "I'm X" / "im X" / "I am X", then an age, "here", or a plain break ("and", a comma, the end)
_AGE = r"\d{2}\s*(?:[mMfF]\b|y/?o\b|yo\b|years?\b|yrs?\b)?"
_IM_NAME = re.compile(
    rf"""(?:[Ii]['’]?m|IM|[Ii]\s+am)\s+(?P<name>{_TOKEN})
    (?:(?P<strong>\s*,\s*{_AGE}|\s+here\b|\s*\(\s*\d{{2}}\s*[mMfF]?\s*\))
      |(?=\s*(?:[,.!;:?(\n—–]|\s-|$|and\b|&|from\b|again\b|but\b|btw\b)))""",
    re.X,
)
_THIS_IS_NAME = re.compile(
    rf"(?:[Tt]his\s+is|THIS\s+IS|[Ii]t['’]?s|IT['’]?S)\s+(?P<name>{_TOKEN})"
    rf"(?=\s+(?:from|again|here)\b|\s*,\s*\d{{2}}\b)"
)
# At the start of a sentence: "Dev here.", "X again", "Jake, 27, ...", "X (29f) here"
_SENTENCE_START_NAME = re.compile(
    rf"""(?P<name>{_TOKEN})
    (?:(?P<strong>\s+here\b|\s*,\s*\d{{2}}\s*(?:[,.;:!)]|[mMfF]\b|y/?o\b|yo\b|years?\b|yrs?\b|$)
         |\s*\(\s*(?:\d{{2}}\s*[mMfF]?|[mMfF]\s*\d{{2}})\s*\))
      |(?P<weak>\s+again\b))""",
    re.X,
)
_GREETING = re.compile(
    r"""(?:^|\W)(?i:hi|hey|hello|heya|hiya|howdy|yo|greetings|morning|evening|quick\s+bio|bio|ok|so)
    (?:\s+(?i:all|everyone|everybody|guys|folks|friends|fam|team|there|y'?all|people|peeps|again))?\s*[,!.:;-]*\s*$""",
    re.X,
)
_SENTENCE_END = frozenset(".!?:;\n(—–-")


def find_person_names(text: str, words: set[str], found: list[_Candidate]) -> None:
    """Append NAME candidates for the cues of this module's docstring.

    Args:
        text: the post.
        words: its casefolded words (to skip rules whose cue words are absent).
        found: where candidates are appended.
    """
    # each rule runs only when its cue words occur: the post's words are already a set
    if "m" in words or "im" in words or "am" in words:
        _match(_IM_NAME, text, found, lambda m: Evidence.MEDIUM if m.group("strong") else Evidence.WEAK)
    if "this" in words or "its" in words or "it" in words:
        _match(_THIS_IS_NAME, text, found, lambda m: Evidence.WEAK)
    if not words.isdisjoint(_RELATION_WORDS) or not words.isdisjoint(_TITLE_WORDS):
        _find_relations(text, words, found)
    if "here" in words or "again" in words or _AGE_CUE.search(text):
        for m in _SENTENCE_START_NAME.finditer(text):
            if _at_sentence_start(text, m.start()):
                evidence = Evidence.MEDIUM if m.group("strong") else Evidence.WEAK
                _add_name(m.start("name"), m.end("name"), text, evidence, found)
    _find_signature(text, found)


def _match(pattern: re.Pattern[str], text: str, found: list[_Candidate], evidence) -> None:
    # The patterns start with their cue's letters, not with a lookbehind, so that the regex engine
    # can skip ahead fast; that the cue starts a word ("my", not "enemy") is checked here.
    for m in pattern.finditer(text):
        if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_'’"):
            continue
        _take(m, text, evidence(m), found)


def _find_relations(text: str, words: set[str], found: list[_Candidate]) -> None:
    """ "my brother Luis", "her best friend, A***", "nurse Adeyinka": found from the relation noun,
    looked up among the post's words, not by a regex scan of the whole post."""
    lowered = _lowered(text)
    for noun in words & (_RELATION_WORDS | _TITLE_WORDS):
        for pos in _whole_word_positions(lowered, noun):
            end = pos + len(noun)
            m = _RELATION_AFTER.match(text, end) if noun in _RELATION_WORDS else None
            determiner = _DETERMINER_BEFORE.search(lowered, max(0, pos - 50), pos) if m else None
            if determiner:
                # "my sister X" is a strong cue; "the nurse X" less so ("the nurse Practitioner"),
                # and so is "My Brother Overdosed" in a Title Case heading
                weak = determiner.group("det") == "the" or text[pos].isupper()
                _take(m, text, Evidence.MEDIUM if weak else Evidence.STRONG, found)
            elif noun in _TITLE_WORDS:
                m = _TITLE_AFTER.match(text, end)
                if m:
                    _take(m, text, Evidence.MEDIUM, found)


def _take(m: re.Match[str], text: str, evidence: Evidence, found: list[_Candidate]) -> None:
    """Add the name (and surname) that ``m`` captured, if they may be names."""
    start, end = m.span("name")
    token = text[start:end]
    if len(token) == 2 and token[1] in ".*" or "*" in token:  # an initial or a masked name
        found.append((start, end, "NAME", "[NAME]"))
        return
    if _add_name(start, end, text, evidence, found) and "name2" in m.re.groupindex and m.group("name2"):
        s2, e2 = m.span("name2")
        if could_be_name(text[s2:e2], evidence):  # a surname: "my brother Luis Ortega"
            found[-1] = (start, _name_end(text, s2, e2), "NAME", "[NAME]")


def _name_end(text: str, start: int, end: int) -> int:
    """The end of a name token without a possessive ("Dave's" -> "Dave")."""
    return start + len(strip_possessive(text[start:end]))


def _add_name(start: int, end: int, text: str, evidence: Evidence, found: list[_Candidate]) -> bool:
    token = text[start:end]
    if not could_be_name(token, evidence) or token.isupper() and len(token) > 1:
        return False
    found.append((start, _name_end(text, start, end), "NAME", "[NAME]"))
    return True


def _at_sentence_start(text: str, i: int) -> bool:
    """Whether offset ``i`` starts the post, a line, a sentence, or follows a greeting ("Hi all, ")."""
    before = text[max(0, i - 40):i].rstrip(" \t")
    if not before or before[-1] in _SENTENCE_END or before.endswith("\n"):
        return True
    return bool(_GREETING.search(before))


# ---- signatures ----

# Words that close a post before the writer's name: "Cheers,\nMarek", "love, Tam", "Peace, D."
_CLOSINGS = (
    r"cheers|best|best wishes|all the best|regards|kind regards|warm regards|warmly|thanks|thank you|thanks again"
    r"|thanks all|thanks everyone|thank you all|many thanks|thx|ty|tia|love|lots of love|much love|with love|peace"
    r"|take care|stay safe|stay strong|be well|be safe|sincerely|yours|yours truly|hugs|xoxo|blessings|good luck"
    r"|respectfully|later|cya|godspeed|namaste|onwards|onward|hang in there|keep going|one love|in solidarity"
)
_NAME_PART = rf"(?:{_TOKEN}|[A-Z]{{1,2}}\.?)"
# The last line of a post, when it is only a signature: "- Tom", "~ J", "/Radek", "xx P", "Ottilie x"
_SIGNATURE_LINE = re.compile(
    rf"""^\s*(?P<dash>[-~—–/]+\s*)?(?P<kiss>x{{1,3}}\s+)?(?P<name>{_NAME_PART})(?:\s+(?P<name2>{_TOKEN}))?
    (?P<kiss2>\s+x{{1,3}})?\s*(?:\([^()\n]*\))?\s*$""",
    re.X,
)
# A signature after the last sentence, on the same line: "... dead. -Tobin", "... ones. - Rudi (sober
# since May)", "put it. Ottilie x", "🙏 xx Esme"
_TRAILING_SIGNATURE = re.compile(
    rf"""(?:(?<=[\s.!?)])(?P<dash>[-~—–]+)\s*(?P<name>{_NAME_PART})(?:\s+(?P<name2>{_TOKEN}))?
      |(?<=[.!?])\s+(?P<kname>{_TOKEN})\s+x{{1,3}}
      |(?<!\w)x{{1,3}}\s+(?P<xname>{_TOKEN}))
    \s*(?:\([^()\n]*\))?\s*$""",
    re.X,
)
_CLOSING_THEN_NAME = re.compile(
    rf"""(?:^|(?<=[\s.!?,]))(?i:{_CLOSINGS})(?:\s+(?i:all|everyone|guys|again|so\s+much|y'?all|folks))?\s*[,.!:-]*\s+
    (?:(?i:an?|your|the)\s+(?:[a-z]+\s+){{0,3}})?(?P<name>{_NAME_PART})\s*$""",
    re.X,
)
_CLOSING_LINE = re.compile(rf"^\s*(?i:{_CLOSINGS})(?:\s+\w+){{0,2}}\s*[,.!:-]*\s*$")
_LAST_SENTENCE_NAME = re.compile(rf"(?<=[.!?])\s+(?P<name>{_TOKEN})\s*$")
_SIGNATURE_WINDOW = 100  # a signature with its closing phrase fits in this many characters


def _find_signature(text: str, found: list[_Candidate]) -> None:
    """The writer's name signed at the end of the post, if any."""
    end = len(text)
    while end and not (text[end - 1].isalnum() or text[end - 1] == ")"):  # "Rachel.", "Tom 🙏"
        end -= 1
    if not _ends_with_capital(text, end):  # most posts: no signature, and no regex run
        return
    newline = text.rfind("\n", 0, end)
    line_start = max(newline + 1, end - _SIGNATURE_WINDOW)
    line = text[line_start:end]
    m = _SIGNATURE_LINE.match(line) if line_start == newline + 1 and newline >= 0 else None
    if m:
        dash = (m.group("dash") or "").strip()
        if dash and _previous_line(text, line_start).lstrip().startswith(dash):
            return  # the last item of a list ("- Ashton Manual\n- Benzo Buddies"), not a signature
        if dash or m.group("kiss") or m.group("kiss2") or _CLOSING_LINE.match(_previous_line(text, line_start)):
            evidence = Evidence.MEDIUM
        else:
            evidence = Evidence.WEAK  # a bare name on the last line
        _add_signature(m, "name", line_start, text, evidence, found)
        return
    m = _CLOSING_THEN_NAME.search(line)
    if m:
        _add_signature(m, "name", line_start, text, Evidence.MEDIUM, found)
        return
    m = _TRAILING_SIGNATURE.search(line)
    if m:
        group = "name" if m.group("name") else "kname" if m.group("kname") else "xname"
        _add_signature(m, group, line_start, text, Evidence.MEDIUM, found)
        return
    m = _LAST_SENTENCE_NAME.search(line)
    if m:
        _add_signature(m, "name", line_start, text, Evidence.WEAK, found)


def _ends_with_capital(text: str, end: int) -> bool:
    """Whether the last word before ``end`` (before a closing bracket and kisses "x") is capitalised."""
    if end and text[end - 1] == ")":
        opening = text.rfind("(", max(0, end - _SIGNATURE_WINDOW), end)
        end = opening if opening >= 0 else end
    words = text[max(0, end - 40):end].split()
    while words and words[-1] in ("x", "xx", "xxx"):
        words.pop()
    return bool(words) and words[-1].lstrip("-~—–/")[:1].isupper()


def _previous_line(text: str, line_start: int) -> str:
    """The last non-blank line before offset ``line_start``."""
    lines = text[:line_start].rstrip().rsplit("\n", 1)
    return lines[-1] if lines else ""


def _add_signature(m: re.Match[str], group: str, offset: int, text: str, evidence: Evidence,
                   found: list[_Candidate]) -> None:
    start, end = m.start(group) + offset, m.end(group) + offset
    token = text[start:end].rstrip(".")
    end = start + len(token)
    if _INITIALS.fullmatch(token):
        # initials only stand for a name after a dash or a closing phrase, never bare
        if evidence >= Evidence.MEDIUM and token not in _NOT_INITIALS:
            found.append((start, end, "NAME", "[NAME]"))
        return
    if not _add_name(start, end, text, evidence, found):
        return
    if "name2" in m.re.groupindex and m.group("name2"):
        s2, e2 = m.start("name2") + offset, m.end("name2") + offset
        if could_be_name(text[s2:e2], evidence):
            found[-1] = (start, _name_end(text, s2, e2), "NAME", "[NAME]")
