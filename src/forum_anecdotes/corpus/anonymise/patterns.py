"""The word lists and regular expressions of the text scrubber, and small predicates on them.

Patterns search a lowercased copy of the text (:func:`_lowered`) where they can, and start with a
character class or literal, so that the regex engine's fast search applies: the build scrubs
thousands of posts per second on one core.
"""
from __future__ import annotations

import ipaddress
import re
import string
import urllib.parse

# ---- word lists ----

# Frequent English words, capitalised at the start of sentences and in titles: never a name's part.
_ENGLISH_WORDS = frozenset(
    """
    i i'm i've i'd i'll me my mine myself you you're you've your yours he he's him his she she's her hers it it's its
    we we're our us they they're their them this that that's these those there there's here who whom whose what
    which the a an and or but nor so yet if then than because since while when where why how though although unless
    until once after before during about above below over under into onto from with without within to for of on in
    at by up down out off as like just also only even still already always never ever often sometimes usually maybe
    perhaps probably really very too quite rather almost especially actually basically honestly seriously literally
    anyway anyways however otherwise instead meanwhile besides hence thus therefore yes no not ok okay thanks thank
    please sorry hey hi hello well oh lol now later soon again then first last next other another each every all
    any some many much more most few less least both either neither such same own
    is am are was were be been being do does did doing done have has had having will would can could shall should
    may might must need needs get gets got getting go goes going went gone come comes came make makes made take takes
    took taken give gives gave given say says said tell tells told ask asks asked think thinks thought know knows
    knew want wants wanted try tries tried see sees saw seen look looks looking looked feel feels felt keep keeps kept
    let lets put start started stop stopped check read find found call called talk talked use used help helped
    prescribe prescribes prescribed practiced practice recommended recommends switched upped lowered increased
    decreased love loved nods
    good bad great fine better best worse worst new old big small long little real sure true right wrong
    """.split()
)


# Given names that are also words: "Dr Will Hughes" is a name, "Will" alone may be a verb.
_WORD_NAMES = frozenset(
    "will may mark bill rose dawn june april august summer ray art pat sue rob don frank hope grace faith joy".split()
)

# Capitalised words after an honorific or "call me" that are no (part of a) person's name: "my
# doctor. Still, ..." and "Call Me By Your Name" start sentences and titles, "Dr Pepper" is a drink.
_NOT_A_NAME = _ENGLISH_WORDS | frozenset(
    """
    pepper peppers martens bronner bronner's reddy reddy's reddys google contin pm am
    today tonight tomorrow yesterday monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    appointment appointments office visit visits note notes back
    generic president husband wife boyfriend girlfriend associates nobody somebody
    """.split()
)

# Handles that are ordinary words. Matching them case-insensitively would replace "will" and "hope"
# all through a thread; the words of drug forums ("withdrawal", "recovery") are among them.
_COMMON_WORDS = _ENGLISH_WORDS | _WORD_NAMES | frozenset(
    """
    sunny sunshine honey angel star lucky anon anonymous user guest admin mod moderator deleted
    withdrawal depression anxiety recovery addiction everything experience medication psychedelic
    """.split()
)


# ---- trigger words ----
#
# Most patterns only run when a word they need occurs in the post: the post's words are collected
# once (:func:`_words`), and a set lookup is far cheaper than a regex scan of 600 characters.

# Honorifics before a person's name. Abbreviations may take a period, and any case; "doctor." and
# "professor." end a sentence instead. "ms" is milliseconds, "MS" multiple sclerosis and "miss" a
# verb: those count only as "Ms" and "Miss".
_ABBREVIATED_HONORIFICS = ("dr", "prof", "mr", "mrs")
_SPELLED_HONORIFICS = ("doctor", "professor")
_CASED_HONORIFICS = ("Ms", "Mx", "Miss")
_HONORIFICS = frozenset(_ABBREVIATED_HONORIFICS + _SPELLED_HONORIFICS) | {h.casefold() for h in _CASED_HONORIFICS}
_INTRO_PHRASES = ("my name", "name's", "name’s", "m called", "am called", "call me")
_PHONE_CUES = (
    "call", "text", "phone", "number", "tel", "cell", "mobile", "ring", "dial", "reach", "whatsapp", "hotline", "line",
)
_STREET_SUFFIXES = (
    "street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "dr", "boulevard", "blvd", "court", "ct",
    "way", "place", "pl", "terrace", "close", "crescent", "cres", "parkway", "pkwy", "highway", "hwy", "square", "sq",
    "circle", "cir", "trail", "mews", "grove", "gardens",
)
_PUNCT_TO_SPACE = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})  # for ASCII text
_WORD = re.compile(r"[^\W_]+")  # alphanumeric runs: the tokens names are matched on
# Patterns search a lowercased copy of the text instead of using re.IGNORECASE, which would disable
# the regex engine's fast scan for a literal prefix. The copy must keep every offset: str.lower()
# may not ("İ" becomes two characters), lowercasing ASCII only does.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _words(text: str) -> set[str]:
    """The casefolded alphanumeric runs of ``text``."""
    folded = text.casefold()
    if folded.isascii():  # str.translate is fast on ASCII text only
        return set(folded.translate(_PUNCT_TO_SPACE).split())
    return set(_WORD.findall(folded))


def _lowered(text: str) -> str:
    """``text`` lowercased with every character at its offset (see :data:`_ASCII_LOWER`)."""
    lowered = text.lower()
    # equal lengths: no character became two, so offsets agree; str.translate is slow on non-ASCII text
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


# ---- URLs and emails ----

# Top-level domains accepted for a bare domain without "http" or "www" ("erowid.org/exp"). Short
# ones that are also words or typos ("it", "no", "me", "at", "is") are left out on purpose:
# "took it.it was" must stay text.
_BARE_TLDS = (
    "com|org|net|edu|gov|mil|int|info|biz|io|co|uk|us|ca|au|nz|ie|de|fr|nl|es|eu|ch|se|dk|fi|pl"
    "|ly|gl|tv|xyz|app|dev|site|online|health|onion"
)
_URL_CHARS = r"""[^\s<>"'`{}|^\[\]]"""
# URL patterns search the lowered text (:func:`_lowered`).
_SCHEMED_URL = re.compile(rf"(?:https?://|ftp://|www\d{{0,3}}\.){_URL_CHARS}+")
_BARE_URL = re.compile(
    rf"(?<![\w@.\-/:])(?:(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{_BARE_TLDS})|youtu\.be|t\.me|wa\.me)(?![\w-])"
    rf"(?::\d{{2,5}})?(?:[/?#]{_URL_CHARS}*)?"
)
# A top-level domain as the placeholder may show it: letters only, so a host cut short by an
# ellipsis ("nih.g…") never shows as "[URL:nih.g…]".
_TLD = re.compile(r"[a-z]{2,24}|xn--[a-z0-9\-]+")
# The rest of a link after a stray space: a path with a "/" that starts with a letter or digit
_URL_CONTINUATION = re.compile(rf"[ \t]{{1,2}}(?P<path>[A-Za-z0-9][\w\-.~%]*/{_URL_CHARS}*)")
# A domain cut by an ellipsis and followed by the rest of its path: "nih.g… bmed/8122957"
_TRUNCATED_URL = re.compile(
    r"(?<![\w@.\-/])[a-z0-9][a-z0-9\-]{2,}(?:\.[a-z0-9\-]+)*\.[a-z0-9\-]*(?:…|\.\.\.)"
    r"(?=[ \t]{1,2}[a-z0-9][\w\-.~%]*/)"
)
# A bare domain is matched backwards from its top-level domain: a pattern that starts with a
# literal "." is searched fast, one that starts with a domain label is tried at every letter.
_BARE_TLD_HINT = re.compile(rf"\.(?:{_BARE_TLDS}|be|me)(?![\w-])")
_DOMAIN_CHARS = frozenset(string.ascii_lowercase + string.digits + ".-")
# Second-level labels under which a country domain registers names ("bbc.co.uk").
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "sch"})

_EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9][\w.%+\-]*@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,}(?![\w\-])")
# "anna.w [at] example [dot] org", "anna at example dot com", with a known TLD at the end. A plain
# " at " needs a spelled " dot ": "look at erowid.org" is no email.
_BRACKETED_DOT, _SPELLED_DOT = r"\s*(?:\[dot\]|\(dot\)|\{dot\})\s*", r"\s+dot\s+"
_OBFUSCATED_EMAIL = re.compile(
    rf"""(?<![\w.])[a-z0-9][\w.+\-]*
    (?: \s*(?:\[at\]|\(at\)|\{{at\}})\s*[a-z0-9\-]+(?:(?:{_BRACKETED_DOT}|{_SPELLED_DOT}|\.)[a-z0-9\-]+)*?
          (?:{_BRACKETED_DOT}|{_SPELLED_DOT}|\.)
      | (?:{_SPELLED_DOT}[a-z0-9_+\-]+)*\s+at\s+[a-z0-9\-]+(?:{_SPELLED_DOT}[a-z0-9\-]+)*?{_SPELLED_DOT}
    )
    (?:{_BARE_TLDS})(?![\w-])""",
    re.X,
)

# ---- people ----

_AT_HANDLE = re.compile(r"(?<![\w@.+\-/])@([A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,38}[A-Za-z0-9_])?)")
# "@9pm" and "@200ug" are times and doses, "@home" is a place, "@OP" a role
_NOT_A_HANDLE = re.compile(r"\d+(?:[.,]\d+)?(?:mg|ug|mcg|g|ml|am|pm|h|hr|hrs|x|k)?", re.I)
_HANDLE_STOPWORDS = frozenset("home work school night noon midnight all everyone here op mods".split())
# "u/name" standing alone, or glued to a number or a dose where a space went missing ("thanks
# 2u/name", "3/u/name", "8mgu/name"). Whether it is a handle is decided by the handle itself:
# "10 u/day" and "100u/ml" are rates (:data:`_RATE_UNITS`), not by the number before it.
_REDDIT_USER = re.compile(
    r"(?:(?<![\w/])|(?<=\d)|(?<=\dmg)|(?<=\dml)|(?<=\dug)|(?<=\dmcg)|(?<=\dg)|(?<=\dx))"
    r"(?:/?u|/user)/([A-Za-z0-9_\-]{3,30})(?![\w\-])",
    re.I,
)
# What follows "u/" in a dose rate: units per day, per kg, per dose...
_RATE_UNITS = frozenset(
    """day days hr hrs hour hours week weeks wk wks month months mon dose doses kg ml min mins minute minutes
    meal meals shot shots injection injections unit units night nights yr yrs year years carb carbs gram grams""".split()
)

# Case variants are spelled out and the alternatives kept flat: with a case-insensitive or nested
# group the regex engine cannot search for the literal prefixes fast.
_HONORIFIC = "(?:{})".format("|".join(
    [rf"{v}\.?" for h in _ABBREVIATED_HONORIFICS for v in (h, h.capitalize(), h.upper())]
    + [v for h in _SPELLED_HONORIFICS for v in (h, h.capitalize(), h.upper())]
    + [rf"{h}\.?" if h != "Miss" else h for h in _CASED_HONORIFICS]
))
_NAME_TOKEN = r"(?:[A-Z]\.|[A-Z][a-zA-Z'’]*[a-z][a-zA-Z'’]*(?:-[A-Z][a-zA-Z'’]*[a-z][a-zA-Z'’]*)?)"
_NAME_PARTICLES = r"(?:(?:van|von|de|der|den|da|del|di|du|la|le|bin|al)\s+){1,2}"  # "van der Berg"
_NAME_RUN = rf"(?P<name>(?:{_NAME_PARTICLES})?{_NAME_TOKEN}(?:\s+(?:{_NAME_PARTICLES})?{_NAME_TOKEN}){{0,2}})"
_HONORIFIC_NAME = re.compile(rf"{_HONORIFIC}\s+{_NAME_RUN}")  # _find_names checks what comes before
_SELF_INTRO = re.compile(
    rf"(?<![\w'’])(?i:my\s+name\s+is|my\s+name['’]s|name['’]s|i['’]?m\s+called|i\s+am\s+called|call\s+me)\s+{_NAME_RUN}"
)
_NON_SPACE = re.compile(r"\S+")


# ---- numbers ----
#
# Patterns that start at a digit are tried at every digit of a post, and posts are full of doses:
# they start with the character class itself (so that the regex engine skips other characters
# fast) and only then look one character back ("not glued to a word or another number").

_DIGIT = re.compile(r"\d")
_PHONE = re.compile(
    r"""[+(\d](?<![\w+\-/.,$£€][+(\d])
    (?:
        (?<=\+)\d{1,3}[\s.\-]?(?:\(0\)[\s.\-]?)?(?:\(?\d{1,4}\)?[\s.\-]?){1,4}\d{2,4}    # +44 20 7946 0958
      | (?<=\()\d{3}\)[\s.\-]?\d{3}[\s.\-]\d{4}                                       # (555) 123-4567
      | (?<=\()0\d{2,4}\)[\s\-]?\d{3,4}[\s\-]?\d{3,4}                                   # (020) 7946 0958
      | (?<=1)[\s.\-](?:\(\d{3}\)[\s.\-]?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}                 # 1-555-123-4567
      | (?<=\d)\d{2}[\s.\-]\d{3}[\s.\-]\d{4}                                            # 555.123.4567
      | (?<=0)\d{2,4}[\s\-]?\d{3,4}[\s\-]?\d{3,4}                                        # 020 7946 0958
    )
    (?![\w\-]|[.,]\d)""",
    re.X,
)
#: Plausible digit counts of a phone number, by its first character.
_PHONE_DIGITS = {"+": (8, 15), "(": (10, 11), "0": (10, 11), "1": (10, 11)}
# Seven-digit local numbers and unseparated ten-digit ones look like ranges ("200-1000") or ids,
# so they count only near a word that announces a phone number ("text 555-0188", "555-0190 is my number").
_LOCAL_PHONE = re.compile(
    r"\d(?<![\w\-.,$£€]\d)(?:\d{2}[\-.\s]\d{4}|\d{2}[2-9]\d{6})(?![\w\-]|[.,]\d)"
)
# An extension after a number: "(555) 010-4477 ext. 12", "x 214"
_PHONE_EXTENSION = re.compile(r"\s*,?\s*(?:ext\.?|extension|x)\s*\d{1,5}(?![\w.,]\d)", re.I)
# Toll-free numbers spelled with letters: "1-800-555-CARE", "800-GET-SOBER", "1-888-FLOWERS". The
# pattern starts at the "8" (a literal, searched fast); a "1-" or "(" before it is added by code.
_VANITY_PHONE = re.compile(
    r"8(?:00|33|44|55|66|77|88)\)?[\s.\-](?=[A-Z0-9\-. ]{0,9}[A-Z])"
    r"(?:[A-Z0-9]{3}[\s.\-][A-Z0-9]{4}|[A-Z0-9]{3}-[A-Z]{2,6}|[A-Z]{4,10})(?![\w\-])"
)
_VANITY_PREFIX = re.compile(r"(?:\+?1[\s.\-]?\(?|\()$")
_PHONE_CUE = re.compile(rf"\b(?:{'|'.join(_PHONE_CUES)})\b")  # searched in the lowered text
_PHONE_CUE_WINDOW = 30
_IPV4_HINT = re.compile(r"\.\d{1,3}\.\d")
_IPV4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}(?:\.\d{1,3}){3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])", re.I)
_ADDRESS = re.compile(
    rf"""\d(?<![\w.,/$£€\-]\d)\d{{0,4}}[A-Za-z]?(?:-\d{{1,5}})?\s+                     # 221B, 12-14
    (?:(?:N|S|E|W|North|South|East|West)\.?\s+)?
    (?:(?:[A-Z][a-z'’]+|[A-Z]\.|\d{{1,3}}(?:st|nd|rd|th))\s+){{1,3}}                      # street name words
    (?i:{'|'.join(_STREET_SUFFIXES)})\b\.?(?:\s+(?:NW|NE|SW|SE)\b)?
    (?:,?\s+(?:Apt|Apartment|Unit|Suite|Ste|Flat|\#)\.?\s*[A-Za-z0-9\-]{{1,6}}\b)?
    (?:,?(?:\s+[A-Z][a-z]+){{0,2}},?\s+                                                   # town, then
        (?:[A-Z]{{1,2}}\d[A-Z\d]?\s?\d[A-Z]{{2}}|[A-Z]{{2}}\s+\d{{5}}(?:-\d{{4}})?)\b)?      # NW1 6XE or OR 97201
    """,
    re.X,
)
# "2 Family Court hearings" are no address
_NOT_A_STREET = frozenset({"family", "drug", "supreme", "crown", "magistrates", "juvenile", "traffic", "probate"})
_PO_BOX = re.compile(r"\b(?i:p\.?\s?o\.?\s+box)\s+\d{1,6}\b")


# ---- helpers ----


def _is_ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def _site_of(host: str) -> str | None:
    """The registrable domain of a host ("old.reddit.com" -> "reddit.com"); None for an IP address."""
    host = host.strip(".").lower()
    if _is_ip(host, 4) or _is_ip(host, 6):
        return None
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def _trim_url(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets after a URL ("(see x.org/a).")."""
    while url:
        last = url[-1]
        if last in ".,;:!?*'\"\\":
            url = url[:-1]
        elif last == ")" and url.count(")") > url.count("("):
            url = url[:-1]
        else:
            break
    return url


def _url_placeholder(url: str) -> str:
    try:
        host = urllib.parse.urlsplit(url if "://" in url else "//" + url).hostname
    except ValueError:  # e.g. an unbalanced "[" in the host
        host = None
    site = _site_of(host) if host else None
    return f"[URL:{site}]" if site and _TLD.fullmatch(site.rsplit(".", 1)[-1]) else "[URL]"


def _broken_url_end(text: str, end: int) -> int:
    """Where a URL broken by a space ends: "ncbi.nlm.nih.gov/ pubmed/8122957" or a link cut
    with an ellipsis, "nih.g… bmed/8122957", continues with the path after the space."""
    url_end = text[max(0, end - 3):end]
    if url_end.endswith(("/", "…", "...")):
        m = _URL_CONTINUATION.match(text, end)
        if m and not m.group("path").lower().startswith(("r/", "u/")):
            return m.end()
    return end
