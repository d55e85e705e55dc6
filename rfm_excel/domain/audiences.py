"""Customer lists for the ad platforms: look-alike seeds and suppression lists, normalised and hashed as each
platform documents its customer-list upload (docs/prospects.md gives the references).

Each identifier is normalised the platform's way, then replaced by the SHA-256 hex digest of its UTF-8
text. A blank is never hashed (the hash of "" matches nobody and says the field was empty), and a value
that cannot be normalised (an e-mail without "@", a phone number whose country is unknown) is left blank.
Only the fields a platform asks to be left in clear (Google's Country and Zip, LinkedIn's country, Meta's
value) are written as text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import phonenumbers
import pycountry

from ..base.errors import RfmError

FIELDS = ("email", "phone", "first_name", "last_name", "zip", "city", "state", "country")
HASH, CLEAR = "hash", "clear"
# Country names pycountry does not know, as shops write them (the sample's EIRE, say).
COUNTRY_ALIASES = {"uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
                   "northern ireland": "GB", "eire": "IE", "rsa": "ZA", "holland": "NL", "usa": "US",
                   "deutschland": "DE", "espana": "ES", "españa": "ES", "italia": "IT", "schweiz": "CH",
                   "suisse": "CH", "belgie": "BE", "belgië": "BE", "belgique": "BE", "nederland": "NL",
                   "österreich": "AT", "osterreich": "AT", "sverige": "SE", "danmark": "DK", "norge": "NO",
                   "polska": "PL", "brasil": "BR", "korea": "KR", "south korea": "KR", "czechia": "CZ",
                   "russia": "RU", "vietnam": "VN", "turkey": "TR", "channel islands": "JE"}


@dataclass(frozen=True)
class Column:
    """One column of a platform's file: its header, the field it holds, how that field is normalised
    (a key of NORMALISE) and whether it is hashed or left in clear."""

    header: str
    field: str
    rule: str
    how: str = HASH


@dataclass(frozen=True)
class Platform:
    """A platform's customer-list upload: its columns, the published minimum list size (None when it
    publishes none for an upload), and whether its seed carries a value column."""

    name: str
    title: str
    columns: tuple[Column, ...]
    minimum: int | None
    value: bool = False


PLATFORMS = {
    "meta": Platform("meta", "Meta", (
        Column("email", "email", "email"), Column("phone", "phone", "digits"), Column("fn", "first_name", "letters"),
        Column("ln", "last_name", "letters"), Column("zip", "zip", "meta_zip"), Column("ct", "city", "letters"),
        Column("st", "state", "letters"), Column("country", "country", "country_lower")), 100, value=True),
    "google": Platform("google", "Google", (
        Column("Email", "email", "email"), Column("Phone", "phone", "e164"),
        Column("First Name", "first_name", "no_spaces"), Column("Last Name", "last_name", "no_spaces"),
        Column("Country", "country", "country", CLEAR), Column("Zip", "zip", "trimmed", CLEAR)), None),
    "linkedin": Platform("linkedin", "LinkedIn", (
        Column("email", "email", "email"), Column("firstname", "", ""), Column("lastname", "", ""),
        Column("jobtitle", "", ""), Column("employeecompany", "", ""),
        Column("country", "country", "country", CLEAR), Column("googleaid", "", "")), 300),
    "tiktok": Platform("tiktok", "TikTok", (
        Column("Email_SHA256", "email", "tiktok_email"), Column("Phone_SHA256", "phone", "digits")), 1000),
    "microsoft": Platform("microsoft", "Microsoft", (Column("Email", "email", "email"),), 300),
}
IDENTIFIERS = ("email", "phone", "first_name", "last_name")  # a row needs one of these, hashed, to be matched


def country_code(text) -> str | None:
    """A country name or code as its ISO 3166 alpha-2 code; None when blank or unknown.

    >>> country_code("Netherlands"), country_code("gb"), country_code("EIRE"), country_code("Atlantis")
    ('NL', 'GB', 'IE', None)
    """
    if text is None or not str(text).strip():
        return None
    name = " ".join(str(text).split())
    if name.casefold() in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[name.casefold()]
    try:
        return pycountry.countries.lookup(name).alpha_2
    except LookupError:
        return None


def e164(phone, country: str | None) -> str | None:
    """A phone number in E.164 (+ country code, number): one written with + or 00 as it says; a national
    number with the calling code of ``country`` (an ISO alpha-2 code), its trunk prefix dropped as that
    country dials it. None when blank, not a possible number, or national without a country.

    >>> e164("07700 900123", "GB"), e164("+33 6 12 34 56 78", None), e164("0039 06 1234 5678", None)
    ('+447700900123', '+33612345678', '+390612345678')
    >>> e164("612 345 678", None) is None
    True
    """
    if phone is None:
        return None
    text = str(phone).strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text or (not text.startswith("+") and country is None):
        return None
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(text: str) -> str | None:
    """Trimmed and lower case; None unless it has one @ with text on both sides."""
    email = text.strip().lower()
    user, at, domain = email.partition("@")
    return email if at and user and domain and "@" not in domain and " " not in email else None


def _tiktok_email(text: str) -> str | None:
    """As ``_email``, with a + and what follows it up to @ removed (TikTok's rule)."""
    email = _email(text)
    if email is None:
        return None
    user, _, domain = email.partition("@")
    return f"{user.split('+')[0]}@{domain}" if user.split("+")[0] else None


def _letters(text: str) -> str | None:
    """Lower case letters only (accents kept, in NFC), no spaces or punctuation: Meta's fn, ln, ct and st."""
    kept = "".join(c for c in unicodedata.normalize("NFC", text.lower()) if c.isalpha())
    return kept or None


def _no_spaces(text: str) -> str | None:
    """Lower case, no white space: Google's names."""
    return "".join(text.lower().split()) or None


def _meta_zip(text: str, country: str | None) -> str | None:
    """Lower case without spaces or dashes; a US ZIP+4 as its first five digits (Meta's rule)."""
    code = re.sub(r"[\s\-]", "", text.lower())
    return (code[:5] if country == "US" else code) or None


NORMALISE = {"email": _email, "tiktok_email": _tiktok_email, "letters": _letters,
             "no_spaces": _no_spaces, "trimmed": lambda text: text.strip() or None}


def with_names(contacts: pd.DataFrame) -> pd.DataFrame:
    """The contacts with every field of FIELDS (None where unknown), a first and last name taken from the first
    and last word of a whole name where the two are not given apart."""
    table = contacts.reindex(columns=list(FIELDS)).astype(object)
    table = table.where(table.notna(), None)
    if "name" in contacts:
        words = [str(name).split() if name is not None else [] for name in contacts["name"].to_numpy(dtype=object)]
        for field, pick in (("first_name", 0), ("last_name", -1)):
            given = table[field].to_numpy(dtype=object)
            table[field] = [g if g is not None else (w[pick] if len(w) > 1 else None) for g, w in
                            zip(given, words, strict=True)]
    return table


def normalised(contacts: pd.DataFrame, platform: Platform, default_country: str | None) -> pd.DataFrame:
    """Each contact's fields as ``platform`` wants them before hashing (None where blank or unusable).

    ``contacts`` has the FIELDS (texts, None for blank); a phone number without its country code takes
    that of the contact's own country, else ``default_country`` (an ISO alpha-2 code).
    """
    countries = [country_code(c) for c in contacts["country"].to_numpy(dtype=object)]
    columns = {}
    for column in platform.columns:
        values = contacts[column.field].to_numpy(dtype=object) if column.field else np.full(len(contacts), None)
        if not column.field:
            cells: list = [None] * len(contacts)
        elif column.rule in ("digits", "e164"):
            numbers = [e164(v, c or default_country) for v, c in zip(values, countries, strict=True)]
            cells = [n if n is None or column.rule == "e164" else n[1:] for n in numbers]
        elif column.rule in ("country", "country_lower"):
            cells = [c if c is None or column.rule == "country" else c.lower() for c in countries]
        elif column.rule == "meta_zip":
            cells = [None if v is None else _meta_zip(str(v), c) for v, c in zip(values, countries, strict=True)]
        else:
            cells = [None if v is None else NORMALISE[column.rule](str(v)) for v in values]
        columns[column.header] = cells
    return pd.DataFrame(columns, index=contacts.index, dtype=object)


def sha256(text: str) -> str:
    """The SHA-256 hex digest of ``text`` in UTF-8.

    >>> sha256("test@example.com")[:16]
    '973dfe463ec85785'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def customer_list(contacts: pd.DataFrame, platform: Platform, default_country: str | None,
                  values: pd.Series | None = None) -> pd.DataFrame:
    """The platform's file: its columns, hashed where it asks, blanks left blank; only rows with at least one
    identifier (e-mail, phone or name) to match on. ``values`` (the seed's value per contact) becomes Meta's
    value column, in clear."""
    table = normalised(contacts, platform, default_country)
    for column in platform.columns:
        if column.how == HASH and column.field:
            table[column.header] = [None if v is None else sha256(v) for v in table[column.header]]
    identifiers = [c.header for c in platform.columns if c.how == HASH and c.field in IDENTIFIERS]
    matched = table[identifiers].notna().any(axis=1).to_numpy()
    if platform.value and values is not None:
        table["value"] = np.round(values.reindex(table.index).to_numpy(dtype=float), 2)
    return table[matched].reset_index(drop=True)


def platforms(names: str) -> list[Platform]:
    """The platforms named, separated by commas (any case); all when ``names`` is "all"."""
    wanted = [n.strip().lower() for n in names.split(",") if n.strip()]
    if wanted == ["all"]:
        return list(PLATFORMS.values())
    unknown = [n for n in wanted if n not in PLATFORMS]
    if unknown or not wanted:
        raise RfmError(f"The platform {', '.join(unknown) or names!r} is not one the tool writes for; give any of "
                       f"{', '.join(PLATFORMS)}, separated by commas.")
    return [PLATFORMS[n] for n in dict.fromkeys(wanted)]
