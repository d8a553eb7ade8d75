"""The shapes of personal data scrub() removes: emails (also written `alice (at) example (dot)
com`), full names given as such, postal addresses, IBANs, card numbers, US SSNs, phone numbers
(international, US and national formats) and IP addresses.

Written to the same linear-time rules as scrub_rules.py. Checks a pattern cannot express (Luhn,
IBAN mod-97 and length per country, digit counts) run in Python on each candidate.
"""

from __future__ import annotations

import re

from homeostat_core.fixing.scrub_rules import Rule, tag

_HEX = "[0-9A-Fa-f]"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"

# digit characters to their values, and to the digit sum of their double (Luhn), as bytes tables
_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))
_DOUBLED_VALUES = bytes.maketrans(b"0123456789", bytes([0, 2, 4, 6, 8, 1, 3, 5, 7, 9]))
# Issuer prefixes (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro): a 13-19 digit
# run that passes Luhn but starts otherwise is far more likely a timestamp or an id.
_CARD = r"(?=4|5[0-9]|2[2-7]|3[0-9]|6[0-9])"


def _luhn_ok(raw: bytes) -> bool:
    return (sum(raw[-1::-2].translate(_DIGIT_VALUES)) + sum(raw[-2::-2].translate(_DOUBLED_VALUES))) % 10 == 0


def _card(match: re.Match[str]) -> str:
    """A 13-19 digit candidate: one kind of separator at most, and the Luhn check (bytes
    operations: this runs for every candidate, and adversarial text is full of them)."""
    text = match.group()
    if not _luhn_ok(text.encode("ascii").translate(None, b" -")) or (" " in text and "-" in text):
        return text
    return tag("card_number")


def _ssn(match: re.Match[str]) -> str:
    text = match.group(0)
    area, group, serial = text[:3], text[4:6], text[7:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return text
    return tag("ssn")


def _phone(low: int, high: int):
    """A phone candidate with `low`-`high` digits, balanced parentheses and single separators."""

    def check(match: re.Match[str]) -> str:
        text = match.group(0)
        digits = sum(c.isdigit() for c in text)
        if not low <= digits <= high or text.count("(") != text.count(")") or ".." in text or "--" in text:
            return text
        return tag("phone")

    return check


# IBAN length per country (ISO 13616 registry, and the countries using IBAN-shaped numbers)
IBAN_LENGTHS = {
    country: int(length)
    for country, length in (
        entry.split(":")
        for entry in [
            "AD:24",
            "AE:23",
            "AL:28",
            "AO:25",
            "AT:20",
            "AZ:28",
            "BA:20",
            "BE:16",
            "BF:28",
            "BG:22",
            "BH:22",
            "BI:27",
            "BJ:28",
            "BR:29",
            "BY:28",
            "CF:27",
            "CG:27",
            "CH:21",
            "CI:28",
            "CM:27",
            "CR:22",
            "CV:25",
            "CY:28",
            "CZ:24",
            "DE:22",
            "DJ:27",
            "DK:18",
            "DO:28",
            "DZ:26",
            "EE:20",
            "EG:29",
            "ES:24",
            "FI:18",
            "FK:18",
            "FO:18",
            "FR:27",
            "GA:27",
            "GB:22",
            "GE:22",
            "GI:23",
            "GL:18",
            "GQ:27",
            "GR:27",
            "GT:28",
            "GW:25",
            "HN:28",
            "HR:21",
            "HU:28",
            "IE:22",
            "IL:23",
            "IQ:23",
            "IR:26",
            "IS:26",
            "IT:27",
            "JO:30",
            "KM:27",
            "KW:30",
            "KZ:20",
            "LB:28",
            "LC:32",
            "LI:21",
            "LT:20",
            "LU:20",
            "LV:21",
            "LY:25",
            "MA:28",
            "MC:27",
            "MD:24",
            "ME:22",
            "MG:27",
            "MK:19",
            "ML:28",
            "MN:20",
            "MR:27",
            "MT:31",
            "MU:30",
            "MZ:25",
            "NE:28",
            "NI:28",
            "NL:18",
            "NO:15",
            "OM:23",
            "PK:24",
            "PL:28",
            "PS:29",
            "PT:25",
            "QA:29",
            "RO:24",
            "RS:22",
            "RU:33",
            "SA:24",
            "SC:31",
            "SD:18",
            "SE:24",
            "SI:19",
            "SK:24",
            "SM:27",
            "SN:28",
            "SO:23",
            "ST:25",
            "SV:28",
            "TD:27",
            "TG:28",
            "TL:23",
            "TN:24",
            "TR:26",
            "UA:29",
            "VA:22",
            "VG:24",
            "XK:20",
            "YE:30",
        ]
    )
}
_IBAN_CHAR = re.compile(r"[A-Z0-9]")


_IBAN_DIGITS = {ord(c): str(ord(c) - 55) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def iban_valid(compact: str) -> bool:
    """The ISO 13616 check: the country's length, and mod 97 of the rearranged number is 1."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    return int((compact[4:] + compact[:4]).translate(_IBAN_DIGITS)) % 97 == 1


def _iban(match: re.Match[str]) -> str:
    """A candidate runs on while characters fit; the IBAN is its first `length` characters."""
    text = match.group(0)
    length = IBAN_LENGTHS.get(text[:2])
    compact = text.replace(" ", "")
    if length is None or len(compact) < length or not iban_valid(compact[:length]):
        return text
    return tag("iban") + text[_end_of(text, length) :]


def _end_of(text: str, characters: int) -> int:
    """Where the first `characters` non-space characters of `text` end."""
    for index, char in enumerate(text):
        characters -= char != " "
        if not characters:
            return index + 1
    return len(text)


def trie_pattern(words: list[str]) -> str:
    """An alternation of `words` as a trie (`s(?:t(?:reet)?|q(?:uare)?)`): a miss fails after a
    character or two instead of after trying every word."""
    groups: dict[str, list[str]] = {}
    for word in sorted(set(words)):
        groups.setdefault(word[:1], []).append(word[1:])
    branches = []
    for first, rests in groups.items():
        if rests == [""]:
            branches.append(re.escape(first))
            continue
        optional = "" in rests
        inner = trie_pattern([r for r in rests if r])
        branches.append(f"{re.escape(first)}(?:{inner}){'?' if optional else ''}")
    return "|".join(branches)


# street types: English words, the French and Spanish/Italian/Portuguese ones that come first
_ENGLISH = [
    "street",
    "st",
    "road",
    "rd",
    "avenue",
    "ave",
    "av",
    "lane",
    "ln",
    "drive",
    "dr",
    "boulevard",
    "blvd",
    "court",
    "ct",
    "place",
    "pl",
    "way",
    "close",
    "crescent",
    "cres",
    "terrace",
    "tce",
    "square",
    "sq",
    "parkway",
    "pkwy",
    "highway",
    "hwy",
    "circle",
    "cir",
    "trail",
    "trl",
    "row",
    "mews",
    "gardens",
    "gdns",
    "grove",
    "hill",
    "park",
    "walk",
    "alley",
    "plaza",
    "pike",
    "loop",
    "green",
    "rise",
    "vale",
    "wharf",
    "quay",
    "embankment",
    "causeway",
    "heights",
    "hts",
    "broadway",
]
_FRENCH = ["rue", "avenue", "boulevard", "bd", "place", "allée", "chemin", "impasse", "quai", "cours"]
_STREET_TYPES, _FRENCH_TYPES = trie_pattern(_ENGLISH), trie_pattern(_FRENCH)
_LATIN = [
    "Calle",
    "C/",
    "Avenida",
    "Avda.",
    "Paseo",
    "Plaza",
    "Via",
    "Viale",
    "Piazza",
    "Corso",
    "Rua",
    "Travessa",
]
_LATIN_TYPES = "|".join(re.escape(word) for word in _LATIN)
# German, Dutch and Nordic streets end their name with one of these; checked behind a whole word
_SUFFIXES = (
    "straße strasse str. gasse allee platz damm ufer straat laan gracht plein kade gatan vägen vej gade veien"
)
# an address cannot be without one of these (the text is skipped when it has none)
_ADDRESS_NEEDLES = tuple(
    sorted(
        {f" {w}"[:3] for w in _ENGLISH + _FRENCH}
        | {w.lower() for w in _LATIN}
        | set(_SUFFIXES.split())
        | {"box"}
    )
)
_SUFFIX_BEHIND = "|".join(  # grouped by last letter: one lookbehind fails most words at once
    f"(?<={re.escape(last)})(?:{'|'.join(f'(?<={re.escape(s)})' for s in _SUFFIXES.split() if s[-1] == last)})"
    for last in sorted({s[-1] for s in _SUFFIXES.split()})
)
_SEP = r"(?:,?[ ]{1,3}|,?[ ]{0,3}\n[ ]{0,8})"  # between the parts of an address: a comma, a line
_TAIL = (
    # unit, city, state or region, then a postcode (European with its city, US ZIP, UK, Canadian)
    rf"(?:{_SEP}(?:apt|apartment|suite|unit|flat|#)\.?[ ]?[\w-]{{1,6}})?"
    rf"(?:{_SEP}[A-Z][a-z]+(?:[ ][A-Z][a-z]+){{0,2}})?"
    rf"(?:{_SEP}(?:[A-Z]{{2}}[ ]{{1,3}})?(?:\d{{4,5}}(?:[ ][A-Z]{{2}})?[ ][A-Z][a-z]+|\d{{5}}(?:-\d{{4}})?"
    r"|[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}|[A-Z]\d[A-Z][ ]?\d[A-Z]\d|\d{4,5}))?"
)
# a capitalized word of a name: ASCII and Latin-1 letters (Müller, Chloé, O'Brien)
_WORD = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’-]+"
# a word of a street's name: capitalized, an ordinal (5th), or a French/Spanish particle
_STREET_WORD = r"(?:[A-Z][\w'’.-]*+|\d++(?:st|nd|rd|th|e|er)|de|du|la|le|des)[ ]"
_ADDRESS = re.compile(
    r"(?=[A-Z0-9pÄÖÜÅÆØ])(?<![\w’-])(?<![A-Za-z]')(?:"
    # a house number first: 221B Baker Street, 1600 Pennsylvania Avenue NW, 12-14 High St.,
    # 350 5th Avenue; 5 rue de la Paix, 12 bis avenue Foch
    r"\d{1,5}+[A-Za-z]?(?:[-–]\d{1,5}+[A-Za-z]?)?(?:[ ](?:bis|ter))?,?[ ](?=[A-Za-z]|\d++(?:st|nd|rd|th|er?)[ ])(?:"
    rf"{_STREET_WORD}{{1,4}}(?=[A-Za-z])(?i:{_STREET_TYPES})\b\.?(?:[ ](?:NW|NE|SW|SE|N|S|E|W)\b)?"
    rf"|(?i:{_FRENCH_TYPES})(?:[ ](?:de|du|des|la|le|l'|d'))*[ ][A-Z][\w'’-]+(?:[ ][A-Z][\w'’-]+){{0,3}})"
    # the street first: Hauptstraße 5, Kerkstraat 12, Storgatan 3; Calle Mayor 10, Via Roma 1
    rf"|(?=[A-ZÄÖÜÅÆØ])(?:[A-ZÄÖÜÅÆØ][\wäöüßåæø.-]*+(?:{_SUFFIX_BEHIND})[ ]\d{{1,4}}[a-z]?"
    rf"|(?:{_LATIN_TYPES})[ ](?:(?:de|del|la|dos|da|di)[ ])*+[A-Z][\w'’-]*+(?:[ ][A-Z][\w'’-]*+){{0,3}}+,?[ ]\d{{1,4}})"
    r"|(?i:p\.?[ ]?o\.?[ ]box)[ ]\d{1,6}"
    rf"){_TAIL}"
)
# the full name written just before an address (`Jane Doe, 221B Baker Street`), found after it
_NAME_BEFORE = re.compile(
    rf"(?=[A-ZÀ-ÖØ-Þ])(?<![\w’-])(?<![A-Za-z]'){_WORD}(?:[ ]{_WORD}){{1,3}}"
    rf"(?=,?[ ]{{0,3}}\n?[ ]{{0,8}}{tag('postal_address')})"
)
# "my name is Jane Doe", "Ship to: Jane Doe" (a full name: two to four words); "first_name=Jane",
# "surname: Doe" (one word is enough after a field name and `:` or `=`)
_LABELLED_NAME = re.compile(
    r"(?i:\b(?:my[ ]name[ ]is|full[ _-]?name|ship[ ]to|bill[ ]to|recipient|cardholder|account[ ]holder))"
    rf"[\"']?[ \t]{{0,4}}[:=]?[ \t]{{0,4}}[\"']?(?P<v>{_WORD}(?:[ +]{_WORD}){{1,3}})"
    r"|(?i:\b(?:first|last|given|family|sur)[ _-]?name)[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?"
    rf"(?P<w>{_WORD}(?:[ +]{_WORD}){{0,3}})"
)


def _named(match: re.Match[str]) -> str:
    group = "v" if match.group("v") is not None else "w"
    return match.group(0)[: match.start(group) - match.start()] + tag("person_name")


# an email written to slip past a filter: `alice (at) example (dot) com`, `alice [at] example.com`,
# `alice at example dot com`, `alice @ example . com`, `alice%40example.com`, `alice@example[.]com`
_AT_HIDDEN = (
    r"[ \t]{0,3}[(\[{<][ \t]{0,2}(?i:at)[ \t]{0,2}[)\]}>][ \t]{0,3}|%40|&\#0*64;|&\#x40;|＠"
    r"|[ \t]{1,3}@[ \t]{0,3}|@[ \t]{1,3}|[ \t]{0,3}_(?i:at)_[ \t]{0,3}"
)
_AT_PLAIN = r"[ \t]{1,3}(?i:at)[ \t]{1,3}|@"
_DOT_HIDDEN = (
    r"[ \t]{0,3}[(\[{<][ \t]{0,2}(?:(?i:dot)|\.)[ \t]{0,2}[)\]}>][ \t]{0,3}"
    r"|[ \t]{1,3}(?i:dot)[ \t]{1,3}|[ \t]{0,3}_(?i:dot)_[ \t]{0,3}|[ \t]{1,3}\.[ \t]{1,3}"
)
_LABEL = r"[A-Za-z0-9-]{1,63}+"
_OBFUSCATED_EMAIL = re.compile(
    r"(?=[A-Za-z0-9._+-])(?<![A-Za-z0-9._%+-])[A-Za-z0-9._+-]{1,64}+"
    rf"(?:(?:{_AT_HIDDEN}){_LABEL}(?:(?:{_DOT_HIDDEN}|\.){_LABEL}){{1,4}}+"
    # a plain `at` or `@` only with a hidden dot (so not "failed at app.js")
    rf"|(?:{_AT_PLAIN}){_LABEL}(?:(?:{_DOT_HIDDEN}|\.){_LABEL}){{0,3}}(?:{_DOT_HIDDEN})[A-Za-z]{{2,6}}\b)"
    r"(?![\w-]|\.[A-Za-z0-9]|:\d)"
)

PERSONAL_RULES: list[Rule] = [
    # A rule whose first character is itself checked by a lookbehind begins with a lookahead for
    # that character: `re` then still skips fast to candidate positions.
    Rule(
        "email",
        re.compile(
            r"(?=[A-Za-z0-9._%+-])(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++"
            # not `fn@bundle.js:12:5` (a Firefox/Safari stack frame)
            r"@(?:[A-Za-z0-9-]++\.)+[A-Za-z]{2,}+(?!\.?[A-Za-z0-9-]|:\d)"
        ),
        tag("email"),
        ("@",),
    ),
    # needles: the ways of hiding `@` (a plain one only comes with a hidden dot, after a space or `.)`)
    Rule(
        "email",
        _OBFUSCATED_EMAIL,
        tag("email"),
        (" at ", "at)", "at]", "at}", "at>", "_at_", "%40", "&#", "＠", " @", "@ ", ".)", ".]"),
    ),
    Rule(
        "person_name",
        _LABELLED_NAME,
        _named,
        ("name", "ship to", "bill to", "recipient", "holder"),
    ),
    Rule("postal_address", _ADDRESS, tag("postal_address"), _ADDRESS_NEEDLES),
    # (a hint, not a needle: needles are looked up in the text as it came in, before any finding)
    Rule("person_name", _NAME_BEFORE, tag("person_name"), hint=re.compile(tag("postal_address"))),
    Rule(
        "iban",
        re.compile(r"(?=[A-Z])(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,34}+"),
        _iban,
        hint=re.compile(r"[A-Z]{2}\d\d"),
    ),
    Rule("ssn", re.compile(r"(?=\d)(?<![\w-])\d{3}-\d\d-\d{4}(?![\w-])"), _ssn, ("-",)),
    Rule("card_number", re.compile(rf"(?=\d)(?<![\w.-]){_CARD}\d(?:[ -]?\d){{12,18}}(?![\w-])"), _card),
    Rule("phone", re.compile(r"\+(?<![\w+]\+)\d[\d ().-]{6,22}\d(?!\w)"), _phone(8, 15), ("+",)),
    # US shapes: (555) 123-4567, 555-123-4567, 555.123.4567, 1 555 123 4567; not versions,
    # dates, times or line:column
    Rule(
        "phone",
        re.compile(
            r"(?=[(\d])(?<![\w.:/+-])(?:1[ .-])?(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w:/]|[.-]\d)"
        ),
        tag("phone"),
        hint=re.compile(r"\d{3}[ .-]\d{4}"),
    ),
    # national formats: a trunk 0 and an area code (UK 020 7946 0958, 07700 900123, (0161) 496
    # 0000; FR 01 23 45 67 89; DE 030 1234567; JP 03-1234-5678; AU 0412 345 678; 00 before a
    # country code), Brazil (11) 91234-5678, Spain/Portugal 912 345 678, India 98765 43210
    Rule(
        "phone",
        re.compile(
            r"(?=[(\d])(?<![\w.:/+-])(?:"
            r"(?:\(0\d{1,4}+\)[ ]?|0\d{1,4}+[ .-]?)\d{2,4}+(?:[ .-]?\d{2,4}+){1,3}+"
            r"|\(\d{2}\)[ ]?\d{4,5}-\d{4}|[6-9]\d{2}[ ]\d{3}[ ]\d{3}|[6-9]\d{4}[ ]\d{5}"
            r")(?![\w:/]|[.-]\d)"
        ),
        _phone(9, 13),
    ),
    Rule(
        "ipv4",
        # not a version after a name: `Chrome/120.0.0.0`
        re.compile(rf"(?=\d)(?<![\w.])(?<![A-Za-z]/){_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}(?!\w|\.\d)"),
        tag("ipv4"),
        (".",),
    ),
    Rule(
        "ipv6",
        re.compile(rf"(?={_HEX})(?<![\w:.])(?:{_HEX}{{1,4}}:){{7}}{_HEX}{{1,4}}(?![\w:])"),
        tag("ipv6"),
        (":",),
    ),
    # with `::`: at least one group of two hex digits somewhere (so not `a::b`, `std::vector`)
    Rule(
        "ipv6",
        re.compile(
            rf"(?=[0-9A-Fa-f:])(?<![\w:.])(?=[0-9A-Fa-f:]{{0,39}}?{_HEX}{{2}})"
            rf"(?:{_HEX}{{1,4}}(?::{_HEX}{{1,4}}){{0,6}})?::(?:{_HEX}{{1,4}}(?::{_HEX}{{1,4}}){{0,6}})?"
            r"(?:%\w++)?(?![\w:])"
        ),
        tag("ipv6"),
        ("::",),
    ),
]

__all__ = ["IBAN_LENGTHS", "PERSONAL_RULES", "iban_valid"]
