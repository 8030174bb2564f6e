"""Tests of the substance lexicon (resources/substances.yaml) and its matcher.

Every example sentence here is written for these tests.
"""
from __future__ import annotations

import copy
import dataclasses
import random
from pathlib import Path

import pytest
import yaml

from forum_anecdotes.corpus.lexicon import (
    DEFAULT_LEXICON_PATH,
    LexiconError,
    Mention,
    SubstanceLexicon,
    default_lexicon,
)


@pytest.fixture(scope="module")
def lexicon() -> SubstanceLexicon:
    return default_lexicon()


def names_in(lexicon: SubstanceLexicon, text: str) -> list[str]:
    return lexicon.substances(text)[0]


# ----------------------------------------------------------------------------------------------
# What must match, and what must not

MUST_MATCH = [
    # the examples of the brief, in sentences of our own
    ("last night I did a bump of K and felt fine", ["ketamine"]),
    ("been on Lexapro 10mg since spring", ["escitalopram"]),
    ("coming off zoloft has been rough", ["sertraline"]),
    ("brain zaps after stopping Effexor XR", ["venlafaxine"]),
    ("my first Spravato nasal spray session", ["esketamine"]),
    ("we copped some dope downtown", ["heroin"]),
    ("m30s are all fent now", ["fentanyl", "oxycodone"]),
    ("she took 3 bars of xanax", ["alprazolam"]),
    ("just a few beers after work", ["alcohol"]),
    ("smoking weed every day", ["cannabis"]),
    # ketamine family and slang
    ("took special K at a party", ["ketamine"]),
    ("fell into a k-hole for an hour", ["ketamine"]),
    ("a K hole is scary", ["ketamine"]),
    ("doing ket most weekends", ["ketamine"]),
    ("snorted a line of vitamin K", ["ketamine"]),
    ("ketamine infusions for depression", ["ketamine"]),
    ("arketamine trials look promising", ["arketamine"]),
    ("the R-ketamine paper", ["arketamine"]),
    ("MXE was sold as a ketamine substitute", ["ketamine", "methoxetamine"]),
    # antidepressants: brands (US and UK) and misspellings
    ("my GP switched me from Seroxat to Cipralex", ["escitalopram", "paroxetine"]),
    ("Lustral made me nauseous", ["sertraline"]),
    ("Cipramil and then Celexa", ["citalopram"]),
    ("on prozac and luvox at once?", ["fluoxetine", "fluvoxamine"]),
    ("pristiq and cymbalta withdrawal", ["desvenlafaxine", "duloxetine"]),
    ("fetzima, then savella for the pain", ["levomilnacipran", "milnacipran"]),
    ("Trintellix (Brintellix in Europe)", ["vortioxetine"]),
    ("tried Viibryd and remeron", ["mirtazapine", "vilazodone"]),
    ("trazadone for sleep", ["trazodone"]),
    ("Wellbutrin XL 300", ["bupropion"]),
    ("amitriptyline, then nortriptyline", ["amitriptyline", "nortriptyline"]),
    ("nardil is an old MAOI", ["phenelzine"]),
    ("Lexapro's side effects faded", ["escitalopram"]),
    # opioids
    ("shooting H again after a year clean", ["heroin"]),
    ("black tar is all we get here", ["heroin"]),
    ("percs and roxies are mostly pressed now", ["oxycodone"]),
    ("OxyContin was prescribed after surgery", ["oxycodone"]),
    ("a script for Norco", ["hydrocodone"]),
    ("sipping lean all summer", ["codeine"]),
    ("purple drank", ["codeine"]),
    ("been on subs for a year now", ["buprenorphine"]),
    ("the Suboxone taper", ["buprenorphine"]),
    ("my methadone dose went up", ["methadone"]),
    ("they hit him with Narcan twice", ["naloxone"]),
    ("dilaudid in the hospital", ["hydromorphone"]),
    ("tramadol and kratom", ["kratom", "tramadol"]),
    # benzodiazepines, z-drugs, gabapentinoids
    ("a couple of xans", ["alprazolam"]),
    ("k-pins for panic", ["clonazepam"]),
    ("Valium and Ativan", ["diazepam", "lorazepam"]),
    ("etizolam from a vendor", ["etizolam"]),
    ("ambien made me sleepwalk", ["zolpidem"]),
    ("gabapentin and lyrica", ["gabapentin", "pregabalin"]),
    # stimulants, psychedelics, entactogens
    ("a gram of coke", ["cocaine"]),
    ("smoking crack in a car", ["crack cocaine"]),
    ("addy for studying", ["amphetamine"]),
    ("crystal meth ruined him", ["methamphetamine"]),
    ("Vyvanse and Ritalin", ["lisdexamfetamine", "methylphenidate"]),
    ("dropped two tabs of acid", ["lsd"]),
    ("shrooms in the woods", ["psilocybin"]),
    ("ayahuasca retreat", ["ayahuasca"]),
    ("rolling on molly at the festival", ["mdma"]),
    ("popped an E and danced", ["mdma"]),
    # alcohol, cannabis, nicotine, others
    ("a bottle of vodka a night", ["alcohol"]),
    ("started drinking again", ["alcohol"]),
    ("got drunk on Saturday", ["alcohol"]),
    ("CBD oil for anxiety", ["cannabidiol"]),
    ("smoked pot in high school", ["cannabis"]),
    ("quit cigarettes last year", ["nicotine"]),
    ("Seroquel and Abilify", ["aripiprazole", "quetiapine"]),
    ("lithium and Lamictal", ["lamotrigine", "lithium"]),
    ("PCP is called angel dust", ["phencyclidine"]),
    ("GHB and kava", ["ghb", "kava"]),
    # slang, brands and misspellings that the first lexicon missed
    ("we dropped acid at the lake last summer", ["lsd"]),
    ("cop some dope before work", ["heroin"]),
    ("smoked some tar on foil", ["heroin"]),
    ("I've been on subs for six months", ["buprenorphine"]),
    ("I took 300mg of gaba for the anxiety", ["gabapentin"]),
    ("popped a bar and slept twelve hours", ["alprazolam"]),
    ("took half a bar before the flight", ["alprazolam"]),
    ("smoked some bud after work", ["cannabis"]),
    ("NyQuil knocks me out every time", ["dextromethorphan"]),
    ("took some benedryl to sleep", ["diphenhydramine"]),
    ("sufentanil is far stronger than fentanyl", ["fentanyl", "sufentanil"]),
    ("hydocodone from the dentist", ["hydrocodone"]),
    ("my doctor put me on lyrics 150mg twice a day", ["pregabalin"]),
    ("picked up 2 blues from my guy", ["oxycodone"]),
    ("blues and percs are all pressed now", ["oxycodone"]),
    ("perc 30s and M30s", ["oxycodone"]),
    ("2 roxy 30s from the plug", ["oxycodone"]),
    ("roxies and oxys", ["oxycodone"]),
    ("vics and norcos after surgery", ["hydrocodone"]),
    ("vikes for the tooth", ["hydrocodone"]),
    ("immodium for the runs, lots of it", ["loperamide"]),
    ("Imodium AD from the pharmacy", ["loperamide"]),
    ("methadon at the clinic", ["methadone"]),
    ("bupe, subutex or zubsolv", ["buprenorphine"]),
    ("kpins and klonnies", ["clonazepam"]),
    ("a klonopin before bed", ["clonazepam"]),
    ("xannies, xans and zanax", ["alprazolam"]),
    ("a xanex from a friend", ["alprazolam"]),
    ("addys and addies for finals", ["amphetamine"]),
    ("rolling on molly", ["mdma"]),
    ("ate some boomers and watched the sunset", ["psilocybin"]),
    ("a bump of ket", ["ketamine"]),
    ("fent is everywhere now", ["fentanyl"]),
    ("doing smack every day for two years", ["heroin"]),
    ("a bag of china white", ["heroin"]),
    ("bought some boy from the usual spot", ["heroin"]),
    ("picked up some boy and girl for a speedball", ["cocaine", "heroin"]),
    ("half a gram of boy/girl", ["cocaine", "heroin"]),
    ("weed, kush and edibles", ["cannabis"]),
    ("ate an edible and it kicked in hard", ["cannabis"]),
    ("took a dab of live resin from the pen", ["cannabis"]),
    ("booze and a few beers", ["alcohol"]),
    ("did a few shots of tequila at the bar", ["alcohol"]),
    ("got drunk after five shots", ["alcohol"]),
    ("heavy drinker for a decade", ["alcohol"]),
    ("he had a bud light", ["alcohol"]),
    ("seraquel for sleep", ["quetiapine"]),
    ("zoloft, then lexipro, then effexer", ["escitalopram", "sertraline", "venlafaxine"]),
    ("cymbalt and wellbutin", ["bupropion", "duloxetine"]),
    ("tramadol and trammies", ["tramadol"]),
    ("took 3 trams for my back", ["tramadol"]),
    ("red vein and maeng da", ["kratom"]),
    ("ativan, valium and ambien", ["diazepam", "lorazepam", "zolpidem"]),
    ("5 vals from the script", ["diazepam"]),
    ("2mg of clam blacked me out", ["clonazolam"]),
    ("4mg dilly from the script", ["hydromorphone"]),
    ("got 30mg pandas from the pharmacy", ["oxymorphone"]),
    ("this batch is all fenty", ["fentanyl"]),
    ("weed, acid and coke were all I did at nineteen", ["cannabis", "cocaine", "lsd"]),
]

MUST_NOT_MATCH = [
    "I spent 5K on rent this month",
    "my Vitamin D was low",
    "boy oh boy, what a week",
    "she stirred the pot of soup",
    "done with my homework at last",
    "nothing but blue skies",
    "we had ice cream after dinner",
    "the instructions were crystal clear",
    "I'll take a coke zero",  # decision: the cola phrasings are never cocaine
    "lean on me when you're not strong",
    "fossils from the tar pit",
    "I'm high on life",
    "that beat is dope",
    "send me an E-mail",
    "my favourite K-pop band",
    "turn to Section H of the form",
    "drinking water all day",
    "my PCP referred me to a specialist",
    "stomach acid keeps coming up",
    "rubbing alcohol on the cut",
    "we went to three bars downtown",
    "a lithium battery",
    "ok k thanks",
    "it's 3 o'clock and I'm 30",
    # everyday senses of the slang added later (each has a positive example in MUST_MATCH)
    "my acid reflux is worse at night",
    "that's dope, congrats on the new job",
    "it would be dope to see you",
    "they put fresh tar on the roof",
    "my bud came over to watch the game",
    "thanks bud, appreciate it",
    "she made a pot of coffee",
    "I posted this on other subs too",
    "my channel just hit 1000 subs",
    "we got subs from the sandwich shop",
    "we went to a bar after work",
    "he spits bars on every track",
    "he plays the blues on guitar",
    "the lyrics of that song",
    "GABA receptors calm the brain",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MUST_MATCH)
def test_must_match(lexicon, text, expected):
    assert names_in(lexicon, text) == sorted(expected)


@pytest.mark.parametrize("text", MUST_NOT_MATCH)
def test_must_not_match(lexicon, text):
    assert lexicon.find(text) == []


# ----------------------------------------------------------------------------------------------
# Longest match, offsets, case

@pytest.mark.parametrize(
    ("text", "surface", "name"),
    [
        ("took special K", "special K", "ketamine"),
        ("stopping Effexor XR", "Effexor XR", "venlafaxine"),
        ("a bag of black tar heroin", "black tar heroin", "heroin"),
        ("S-ketamine is esketamine", "S-ketamine", "esketamine"),
        ("a rum and coke", "rum and coke", "alcohol"),
        ("Tylenol 3 after the extraction", "Tylenol 3", "codeine"),
        ("St. John's wort", "St. John's wort", "st john's wort"),
    ],
)
def test_longest_match_wins(lexicon, text, surface, name):
    first = lexicon.find(text)[0]
    assert (first.surface, first.name) == (surface, name)


def test_offsets_point_at_surfaces(lexicon):
    # Non-ASCII characters before and between mentions must not shift the offsets.
    text = (
        "Café ☕ then “20mg” of Lexapro’s generic… naïve me mixed xans 😬 with K-Hole-level "
        "ketamine, and Effexor\u00a0XR on top — ça va?\n\nH was never my thing."
    )
    mentions = lexicon.find(text)
    assert [m.name for m in mentions] == [
        "escitalopram",
        "alprazolam",
        "ketamine",
        "ketamine",
        "venlafaxine",
    ]
    for m in mentions:
        assert text[m.start : m.end] == m.surface
    assert [m.surface for m in mentions][-1] == "Effexor\u00a0XR"
    # non-overlapping and in text order
    assert all(a.end <= b.start for a, b in zip(mentions, mentions[1:]))


def test_mention_fields(lexicon):
    [mention] = lexicon.find("tapering off Zoloft.")
    assert mention == Mention(13, 19, "Zoloft", "sertraline", "ssri", False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        mention.name = "x"  # type: ignore[misc]


def test_case_sensitive_letters(lexicon):
    assert names_in(lexicon, "did a bump of K") == ["ketamine"]
    assert names_in(lexicon, "did a bump of k") == []  # lowercase k is "okay", not ketamine
    assert names_in(lexicon, "shooting H daily") == ["heroin"]
    assert names_in(lexicon, "shooting h daily") == []


def test_case_sensitive_letters_stand_alone(lexicon):
    # Drug context is present, but the letter is part of a hyphenated word.
    assert names_in(lexicon, "popped out to send an E-mail") == []
    assert names_in(lexicon, "took the H-bomb quiz") == []
    assert names_in(lexicon, "took the K-means course") == []
    assert names_in(lexicon, "took K again") == ["ketamine"]


def test_words_glued_to_non_ascii_letters_do_not_match(lexicon):
    assert lexicon.find("xanaxé") == []
    assert lexicon.find("éxanax") == []
    assert names_in(lexicon, "xanax é") == ["alprazolam"]


def test_clitics_start_no_term(lexicon):
    # "it's ketamine" is ketamine, never "s-ketamine" (esketamine)
    assert names_in(lexicon, "it's ketamine, not spravato") == ["esketamine", "ketamine"]
    assert [m.surface for m in lexicon.find("it's ketamine")] == ["ketamine"]


# ----------------------------------------------------------------------------------------------
# Ambiguity rules

def test_requires_context_words(lexicon):
    assert names_in(lexicon, "the pot is on the stove") == []
    assert names_in(lexicon, "smoked pot before the test") == ["cannabis"]
    assert names_in(lexicon, "hooked on pot for years") == ["cannabis"]  # "on" right before


def test_dope_counts_unless_it_is_the_adjective(lexicon):
    # decision: on drug forums "dope" is heroin without further context
    assert names_in(lexicon, "went to cop some dope") == ["heroin"]
    assert names_in(lexicon, "been on dope for years") == ["heroin"]
    assert names_in(lexicon, "that song is dope") == []  # "is" right before
    assert names_in(lexicon, "that's dope") == []  # two words right before: "that's"
    assert names_in(lexicon, "a dope ass hoodie") == []  # "ass" right after
    assert names_in(lexicon, "it looks dope as fuck") == []
    assert names_in(lexicon, "dope sick for three days") == []  # withdrawal, not a substance


def test_same_class_neighbour_confirms(lexicon):
    assert names_in(lexicon, "three bars downtown") == []
    assert names_in(lexicon, "three bars of xanax") == ["alprazolam"]
    assert [m.surface for m in lexicon.find("three bars of xanax")] == ["bars", "xanax"]
    # a drink nearby makes them pubs, although any other drug named nearby confirms "bars"
    assert names_in(lexicon, "three bars and a whiskey") == ["alcohol"]
    assert names_in(lexicon, "three bars and some dope") == ["alprazolam", "heroin"]


def test_any_substance_confirms_lists_of_drugs(lexicon):
    assert names_in(lexicon, "I've done shrooms, acid and molly") == ["lsd", "mdma", "psilocybin"]
    assert names_in(lexicon, "acid was my favourite") == []  # nothing says which acid
    # only unambiguous mentions confirm: two ambiguous words never confirm each other
    assert names_in(lexicon, "acid and molly") == []


def test_count_right_before(lexicon):
    assert names_in(lexicon, "bought 4 blues") == ["oxycodone"]
    assert names_in(lexicon, "bought ten subs off him") == ["buprenorphine"]
    assert names_in(lexicon, "bought some blues albums") == []


def test_gaba_needs_lower_or_title_case(lexicon):
    assert names_in(lexicon, "Gaba 600mg three times a day") == ["gabapentin"]
    assert names_in(lexicon, "GABA 600mg three times a day") == []  # the neurotransmitter
    assert names_in(lexicon, "low gaba levels in the brain, 300mg") == []


def test_unless_near(lexicon):
    assert names_in(lexicon, "I stopped drinking last month") == ["alcohol"]
    assert names_in(lexicon, "drinking lots of water and tea") == []


def test_named_context_sets(lexicon):
    assert names_in(lexicon, "I'm done taking these pills") == []
    assert names_in(lexicon, "dosing at the done clinic every morning") == ["methadone"]
    assert names_in(lexicon, "I love this sub so much") == []
    assert names_in(lexicon, "took an 8mg sub strip") == ["buprenorphine"]
    assert names_in(lexicon, "my sub doctor wants a urine test") == ["buprenorphine"]  # "+doctor"


# Every ambiguous term added for slang: (a sentence where it is the drug, the substances of that
# sentence, a sentence where it is not). All sentences are invented for these tests.
AMBIGUOUS = [
    ("acid", "dropped two tabs of acid", ["lsd"], "the doctor said stomach acid was the cause"),
    ("acid", "an acid trip at the festival", ["lsd"], "citric acid to cook the dope"),
    ("dope", "the dope here is all cut now", ["heroin"], "a dope beat for the video"),
    ("tar", "a point of tar for the morning", ["heroin"], "the cigarette tar stains my teeth"),
    ("subs", "started subs yesterday, 8mg", ["buprenorphine"], "his channel has 2000 subs"),
    ("subs", "I need subs to get off oxy", ["buprenorphine", "oxycodone"],
     "the team made three subs in the second half"),
    ("subs", "got a few subs from him", ["buprenorphine"], "does anyone watch anime with subs"),
    ("sub", "my sub clinic closes at noon", ["buprenorphine"], "I lurk on this sub every day"),
    ("gaba", "my doctor prescribed gaba and it helps", ["gabapentin"],
     "I take a gaba supplement before bed"),
    ("bar", "popped a bar at the party", ["alprazolam"], "I passed the bar exam"),
    ("bar", "a 2mg bar of xanax", ["alprazolam"], "she ate a protein bar"),
    ("bars", "ate two bars and blacked out", ["alprazolam"], "no bars of signal at the cabin"),
    ("bud", "a gram of bud for the weekend", ["cannabis"], "nip it in the bud"),
    ("bud", "some good bud from the dispensary", ["cannabis"], "you and me both bud"),
    ("pot", "smoked pot in college", ["cannabis"], "the poker pot was huge"),
    ("blues", "picked up some blues and fent", ["fentanyl", "oxycodone"],
     "got the blues, feeling depressed today"),
    ("lyrics", "lyrics withdrawal is worse than gabapentin", ["gabapentin", "pregabalin"],
     "favourite song lyrics about gabapentin"),
    ("boy", "copped a bundle of boy", ["heroin"], "my boy came through with the bundle"),
    ("boy", "shooting boy since I was twenty", ["heroin"], "oh boy, the withdrawal was rough"),
    ("girl", "a speedball of boy and girl", ["cocaine", "heroin"],
     "my girl is on adderall now"),
    ("girl", "boy/girl for the weekend", ["cocaine", "heroin"], "a boy and a girl, both small"),
    ("smack", "shooting smack every day", ["heroin"], "talking smack about his ex on the forum"),
    ("skag", "smoked skag for a year", ["heroin"], "a skag in the song title"),
    ("molly", "did molly once at a festival", ["mdma"], "Molly from accounting sent the memo"),
    ("boomers", "ate some boomers and tripped", ["psilocybin"],
     "boomers and millennials disagree about everything"),
    ("shots", "did a few shots and got drunk", ["alcohol"], "got my flu shots and covid shots"),
    ("dab", "took a dab of shatter", ["cannabis"], "smack dab in the middle of town"),
    ("edible", "ate an edible and it kicked in hard", ["cannabis"], "are these mushrooms edible"),
    ("roxy", "2 roxy 30s from the plug", ["oxycodone"], "roxy shorts for the beach"),
    ("vics", "3 vics for the pain", ["hydrocodone"], "the vics in our team"),
    ("dilly", "a 4mg dilly from the script", ["hydromorphone"], "dilly dilly, pass the salt"),
    ("pandas", "got 30mg pandas from the pharmacy", ["oxymorphone"], "red pandas at the zoo"),
    ("trams", "took 3 trams for my back", ["tramadol"], "the trams stop at the station"),
    ("tram", "50mg of tram twice a day", ["tramadol"], "we took the tram to the station"),
    ("vals", "5 vals from the script", ["diazepam"], "the vals left early from the party"),
    ("clam", "2mg of clam blacked me out", ["clonazolam"], "clam chowder for dinner"),
    ("fenty", "this batch is all fenty", ["fentanyl"], "Fenty Beauty foundation is great"),
    ("drinker", "heavy drinker for a decade", ["alcohol"], "a big coffee drinker"),
    ("mushroom", "psilocybin mushroom tea, 2g", ["psilocybin"], "mushroom risotto for dinner"),
]


@pytest.mark.parametrize(
    ("term", "positive", "expected", "negative"),
    AMBIGUOUS,
    ids=[f"{row[0]}-{k}" for k, row in enumerate(AMBIGUOUS)],
)
def test_ambiguous_terms_both_ways(lexicon, term, positive, expected, negative):
    assert term in positive.lower() and term in negative.lower()
    assert names_in(lexicon, positive) == sorted(expected)
    assert [m for m in lexicon.find(negative) if m.surface.lower() == term] == []


def test_class_terms_add_a_class_but_no_substance(lexicon):
    assert lexicon.substances("benzos and SSRIs") == ([], ["benzodiazepine", "ssri"])
    mentions = lexicon.find("opiates")
    assert [(m.name, m.drug_class, m.generic) for m in mentions] == [("opioid", "opioid", True)]


def test_substances_sorted_unique(lexicon):
    text = "Zoloft, then zoloft again, xanax, Lexapro and xans."
    assert lexicon.substances(text) == (
        ["alprazolam", "escitalopram", "sertraline"],
        ["benzodiazepine", "ssri"],
    )


# ----------------------------------------------------------------------------------------------
# The packaged lexicon

REQUIRED = {
    "ketamine": "dissociative",
    "esketamine": "dissociative",
    "arketamine": "dissociative",
    "fluoxetine": "ssri",
    "sertraline": "ssri",
    "paroxetine": "ssri",
    "citalopram": "ssri",
    "escitalopram": "ssri",
    "fluvoxamine": "ssri",
    "venlafaxine": "snri",
    "desvenlafaxine": "snri",
    "duloxetine": "snri",
    "levomilnacipran": "snri",
    "milnacipran": "snri",
    "mirtazapine": "other_antidepressant",
    "trazodone": "other_antidepressant",
    "bupropion": "other_antidepressant",
    "vortioxetine": "other_antidepressant",
    "vilazodone": "other_antidepressant",
    "heroin": "opioid",
    "fentanyl": "opioid",
    "oxycodone": "opioid",
    "buprenorphine": "opioid",
    "kratom": "kratom",
    "alprazolam": "benzodiazepine",
    "zolpidem": "z_drug",
    "gabapentin": "gabapentinoid",
    "cocaine": "stimulant",
    "lsd": "psychedelic",
    "mdma": "entactogen",
    "alcohol": "alcohol",
    "cannabis": "cannabis",
    "nicotine": "nicotine",
    "quetiapine": "antipsychotic",
    "lithium": "mood_stabilizer",
    "ghb": "other",
    "sufentanil": "opioid",
}


@pytest.mark.parametrize(("name", "drug_class"), sorted(REQUIRED.items()))
def test_required_substances_and_their_classes(lexicon, name, drug_class):
    [mention] = lexicon.find(name)
    assert (mention.name, mention.drug_class) == (name, drug_class)


def test_breadth_and_classes(lexicon):
    assert len(lexicon.names) >= 150
    assert len(set(lexicon.names)) == len(lexicon.names)
    assert set(REQUIRED.values()) <= set(lexicon.classes)
    raw = yaml.safe_load(DEFAULT_LEXICON_PATH.read_text(encoding="utf-8"))
    assert lexicon.classes == tuple(raw["classes"])


def test_load_default_and_cache(lexicon):
    assert default_lexicon() is default_lexicon()
    explicit = SubstanceLexicon.load(DEFAULT_LEXICON_PATH)
    assert explicit.names == lexicon.names
    assert "substances" in repr(explicit)


# ----------------------------------------------------------------------------------------------
# Validation of the YAML

MINIMAL = {
    "classes": ["opioid", "dissociative"],
    "word_sets": {"drug_use": ["took", "^on"]},
    "not_substances": ["dope beat"],
    "substances": [
        {
            "name": "heroin",
            "class": "opioid",
            "terms": ["heroin", {"term": "dope", "requires_context": True}],
        },
        {"name": "ketamine", "class": "dissociative", "terms": ["ketamine", "special k"]},
    ],
}


def write_yaml(tmp_path: Path, data) -> Path:
    path = tmp_path / "lexicon.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def test_minimal_lexicon_loads(tmp_path):
    lexicon = SubstanceLexicon.load(write_yaml(tmp_path, MINIMAL))
    assert lexicon.classes == ("opioid", "dissociative")
    assert lexicon.names == ("heroin", "ketamine")
    assert lexicon.substances("took dope, then special k") == (
        ["heroin", "ketamine"],
        ["dissociative", "opioid"],
    )
    assert lexicon.find("a dope beat") == []


def test_word_set_entries(tmp_path):
    data = copy.deepcopy(MINIMAL)
    data["word_sets"] = {
        "drug_use": ["took", "^on", "^that's", "+bag", "#count", "#any_substance"],
        "adjective": ["^is", "+song", "+as fuck", "beat"],
    }
    data["substances"][0]["terms"] = [
        "heroin",
        {"term": "dope", "requires_context": True, "unless_near": "adjective"},
    ]
    lexicon = SubstanceLexicon.load(write_yaml(tmp_path, data))

    def names(text: str) -> list[str]:
        return lexicon.substances(text)[0]

    assert names("a dope bag") == ["heroin"]  # "+bag": the word right after
    assert names("a bag of dope") == []  # ... and only there
    assert names("that's dope") == ["heroin"]  # "^that's": two words right before
    assert names("3 dope") == ["heroin"]  # "#count"
    assert names("dope and ketamine") == ["heroin", "ketamine"]  # "#any_substance"
    assert names("took dope") == ["heroin"]
    # unless_near wins over the context, with its own "^", "+" and plain entries
    assert names("took dope as fuck") == []
    assert names("took a dope song") == []
    assert names("took what is dope") == []
    assert names("took dope, what a beat") == []


def mutated(change) -> dict:
    data = copy.deepcopy(MINIMAL)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["substances"][1].update({"class": "disociative"}),
            r"substance 'ketamine' \(substances\[1\]\): unknown class 'disociative'",
        ),
        (
            lambda d: d["substances"][1]["terms"].append("Heroin"),
            r"substance 'ketamine'.*'Heroin' is already mapped to 'heroin'",
        ),
        (
            lambda d: d["substances"][1]["terms"].append("ketamine"),
            r"substance 'ketamine'.*'ketamine' is listed twice",
        ),
        (
            lambda d: d["substances"][0].update({"terms": []}),
            r"substance 'heroin'.*'terms' must be a non-empty list",
        ),
        (
            lambda d: d["substances"][0].pop("terms"),
            r"substance 'heroin'.*'terms' must be a non-empty list",
        ),
        (
            lambda d: d["substances"].append(dict(d["substances"][0])),
            r"already used by an earlier substance",
        ),
        (lambda d: d["substances"][0].update({"name": "Heroin"}), r"must be lowercase"),
        (
            lambda d: d["substances"][0].update({"brand": "x"}),
            r"substance 'heroin'.*unknown keys \['brand'\]",
        ),
        (
            lambda d: d["substances"][0]["terms"].append(
                {"term": "smack", "requires_context": "heroin_use"}
            ),
            r"term 'smack': requires_context must be true or a word set name",
        ),
        (
            lambda d: d["substances"][0]["terms"].append({"term": "H", "case_sensitive": "yes"}),
            r"term 'H': case_sensitive must be true or false",
        ),
        (lambda d: d["substances"][0]["terms"].append("tylenol #3"), r"'tylenol #3' cannot match"),
        (lambda d: d["substances"][0]["terms"].append("kétamine"), r"'kétamine' cannot match"),
        (
            lambda d: d["not_substances"].append("heroin"),
            r"'heroin' is already mapped to not_substances",
        ),
        (
            lambda d: d["not_substances"].append("ice cream"),
            r"'ice cream' contains no word that starts a term",
        ),
        (
            lambda d: d["word_sets"].update({"bad": ["#dosage"]}),
            r"word_sets\['bad'\]: unknown special entries",
        ),
        (
            lambda d: d["word_sets"].update({"bad": ["+on!"]}),
            r"word_sets\['bad'\]: 'on!': use ASCII words",
        ),
        (
            lambda d: d["substances"][0]["terms"].append(
                {"term": "smack", "unless_near": "heroin_use"}
            ),
            r"term 'smack': unless_near must name a word set",
        ),
        (
            lambda d: (
                d["word_sets"].update({"vetoes": ["#same_class"]}),
                d["substances"][0]["terms"].append({"term": "tar", "unless_near": "vetoes"}),
            ),
            r"term 'tar': unless_near set 'vetoes' has special entries",
        ),
        (lambda d: d.update({"classes": []}), r"classes: must list at least one class"),
        (lambda d: d.update({"substance": []}), r"unknown keys \['substance'\]"),
        (lambda d: d.update({"context_window": 0}), r"context_window: must be a positive integer"),
    ],
)
def test_invalid_lexicon_errors_name_the_entry(tmp_path, change, message):
    path = write_yaml(tmp_path, mutated(change))
    with pytest.raises(LexiconError, match=message) as err:
        SubstanceLexicon.load(path)
    assert str(path) in str(err.value)


def test_unquoted_yaml_boolean_is_reported(tmp_path):
    # YAML reads a bare `on` as True: the loader must say so rather than silently drop the term.
    text = """
classes: [opioid]
substances:
  - name: heroin
    class: opioid
    terms: [heroin, on]
"""
    with pytest.raises(LexiconError, match=r"substance 'heroin'.*True is not a non-empty string"):
        SubstanceLexicon.load(write_yaml(tmp_path, text))


def test_duplicate_yaml_keys_are_reported(tmp_path):
    # PyYAML keeps the last of two equal keys; a second `substances:` block would hide the first.
    text = """
classes: [opioid]
substances:
  - name: heroin
    class: opioid
    terms: [heroin]
substances:
  - name: morphine
    class: opioid
    terms: [morphine]
"""
    with pytest.raises(LexiconError, match="duplicate key 'substances'"):
        SubstanceLexicon.load(write_yaml(tmp_path, text))


def test_broken_yaml_is_reported(tmp_path):
    path = write_yaml(tmp_path, "classes: [opioid\nsubstances: [")
    with pytest.raises(LexiconError, match="not valid YAML"):
        SubstanceLexicon.load(path)


# ----------------------------------------------------------------------------------------------
# Bulk use (throughput is measured outside the tests; here only that bulk matching works)

FILLER = (
    "Honestly the last few weeks were a blur and I keep thinking about what my counsellor said "
    "about routines, sleep and food. Work has been fine, my sister visited, and the weather "
    "turned. "
)
PLANTED = [
    ("been on Lexapro 10mg for a month", "escitalopram"),
    ("copped some dope on Friday", "heroin"),
    ("did a bump of K at the party", "ketamine"),
    ("had a few beers with friends", "alcohol"),
    ("two bars of xanax to sleep", "alprazolam"),
    ("the Spravato clinic called back", "esketamine"),
]


def test_thousand_posts(lexicon):
    rng = random.Random(7)
    filler = FILLER * 4
    posts, expected = [], []
    for k in range(1000):
        if k % 3 == 0:
            posts.append(filler[:600])
            expected.append([])
        else:
            sentence, name = rng.choice(PLANTED)
            cut = filler.rfind(" ", 0, rng.randrange(1, 400)) + 1  # at a word boundary
            posts.append(filler[:cut] + sentence + ". " + filler[: 600 - cut])
            expected.append([name])
    assert [lexicon.substances(post)[0] for post in posts] == expected
