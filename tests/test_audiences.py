"""Ad audiences: each platform's file against its published normalisation, hashes checked with hashlib on
values normalised by hand; blanks never hashed; no address in a hashed file; the command end to end."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rfm_excel.base.settings import Settings
from rfm_excel.domain import audiences
from rfm_excel.doors.cli import main
from rfm_excel.writers.headless.template import build_template


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


EMPTY = sha("")
CONTACTS = pd.DataFrame({
    "email": ["  John.Smith@Example.COM ", "j.o.e@gmail.com", None, "a+promo@shop.example", None],
    "phone": ["07700 900123", "+33 6 12 34 56 78", "020 7946 0018", None, "612 345 678"],
    "first_name": ["John", "Zoë", None, None, "Ann"],
    "last_name": ["Smith-Jones", "Pérez", None, None, None],
    "zip": ["SW1A 1AA", None, None, "10115", None],
    "city": ["London", None, None, "Berlin", None],
    "state": [None] * 5,
    "country": ["United Kingdom", None, None, "Germany", None],
}, index=["C1", "C2", "C3", "C4", "C5"], dtype=object)


def _list(platform: str, default: str | None = "GB") -> pd.DataFrame:
    return audiences.customer_list(CONTACTS, audiences.PLATFORMS[platform], default).fillna("")


def test_meta_customer_file():
    table = _list("meta")
    assert list(table.columns) == ["email", "phone", "fn", "ln", "zip", "ct", "st", "country"]
    first = table.iloc[0].to_dict()
    assert first == {"email": sha("john.smith@example.com"), "phone": sha("447700900123"), "fn": sha("john"),
                     "ln": sha("smithjones"), "zip": sha("sw1a1aa"), "ct": sha("london"), "st": "",
                     "country": sha("gb")}
    assert table.iloc[1]["email"] == sha("j.o.e@gmail.com")  # Meta keeps a Gmail address's dots
    assert table.iloc[1]["phone"] == sha("33612345678")  # written with +: its own country code
    assert (table.iloc[1]["fn"], table.iloc[1]["ln"]) == (sha("zoë"), sha("pérez"))  # accents kept
    assert table.iloc[2]["phone"] == sha("442079460018")  # national, no Country: the default country, GB
    assert table.iloc[3]["zip"] == sha("10115") and table.iloc[3]["country"] == sha("de")
    # C5: a national number and no Country: the default country's code, GB's 44; a first name alone is kept.
    assert table.iloc[4].to_dict() == {"email": "", "phone": sha("44612345678"), "fn": sha("ann"), "ln": "",
                                       "zip": "", "ct": "", "st": "", "country": ""}
    assert len(table) == 5


def test_a_national_number_without_any_country_is_left_blank():
    table = _list("meta", default=None)
    assert len(table) == 4  # C3 had only its phone to match on
    assert table["phone"].tolist() == [sha("447700900123"), sha("33612345678"), "", ""]


def test_google_customer_match():
    table = _list("google")
    assert list(table.columns) == ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"]
    assert table.iloc[0].to_dict() == {"Email": sha("john.smith@example.com"), "Phone": sha("+447700900123"),
                                       "First Name": sha("john"), "Last Name": sha("smith-jones"),
                                       "Country": "GB", "Zip": "SW1A 1AA"}  # Country and Zip in clear
    assert table.iloc[1]["Email"] == sha("j.o.e@gmail.com")  # a Gmail address keeps its dots, as Customer Match
    # asks (its rule to drop them is for enhanced conversions, not for customer lists)
    assert table.iloc[1]["Phone"] == sha("+33612345678")
    assert table.iloc[2]["Phone"] == sha("+442079460018")


def test_tiktok_linkedin_and_microsoft():
    tiktok = _list("tiktok")
    assert list(tiktok.columns) == ["Email_SHA256", "Phone_SHA256"]
    assert tiktok["Email_SHA256"].tolist()[:3] == [sha("john.smith@example.com"), sha("j.o.e@gmail.com"), ""]
    assert tiktok.iloc[3]["Email_SHA256"] == sha("a@shop.example")  # "+promo" goes, as TikTok asks
    assert tiktok.iloc[0]["Phone_SHA256"] == sha("447700900123")
    linkedin = _list("linkedin")
    assert list(linkedin.columns) == ["email", "firstname", "lastname", "jobtitle", "employeecompany", "country",
                                      "googleaid"]
    assert linkedin["email"].tolist() == [sha("john.smith@example.com"), sha("j.o.e@gmail.com"),
                                          sha("a+promo@shop.example")]
    assert linkedin["country"].tolist() == ["GB", "", "DE"]
    assert set(linkedin["firstname"]) == {""}  # LinkedIn takes names only in clear: left out
    microsoft = _list("microsoft")
    assert microsoft["Email"].tolist() == linkedin["email"].tolist()


def test_blanks_and_unusable_values_are_never_hashed():
    odd = pd.DataFrame({"email": ["   ", "no-at-sign", "two@@signs.com"], "phone": ["", "12", None],
                        "first_name": [" ", None, None], "last_name": [None] * 3, "zip": [None] * 3,
                        "city": [None] * 3, "state": [None] * 3, "country": [None] * 3}, dtype=object)
    for platform in audiences.PLATFORMS.values():
        assert audiences.customer_list(odd, platform, "GB").empty, platform.name


def test_country_codes_and_names():
    assert [audiences.country_code(c) for c in ("France", "fr", "FRA", "EIRE", "Unspecified", None)] == \
        ["FR", "FR", "FR", "IE", None, None]


def test_platform_names():
    assert [p.name for p in audiences.platforms("Meta, google")] == ["meta", "google"]
    assert len(audiences.platforms("all")) == 5
    with pytest.raises(audiences.RfmError, match="myspace"):
        audiences.platforms("meta,myspace")


# ---------------------------------------------------------------- the command, end to end


def _orders(customers: int = 40) -> pd.DataFrame:
    """Customers C00.. with 1 to 8 orders: the more orders, the more recent and the larger."""
    rng = np.random.default_rng(3)
    rows = []
    for n in range(customers):
        count = 1 + n % 8
        for k in range(count):
            rows.append({"Customer ID": f"C{n:02d}", "Order ID": f"O{n:02d}{k}",
                         "Order Date": dt.datetime(2024, 12, 1) - dt.timedelta(days=int(rng.integers(0, 400 // count))),
                         "Amount": float(10 * count + k)})
    return pd.DataFrame(rows)


def test_the_audiences_command_writes_every_platform(tmp_path, capsys):
    book = build_template(tmp_path / "shop.xlsx", orders=_orders(), settings=Settings(default_country="GB"))
    people = pd.DataFrame({"Customer ID": [f"C{n:02d}" for n in range(40)],
                           "Email": [f" Person.{n}@Example.com" if n % 5 else None for n in range(40)],
                           "Phone": [f"07700 9001{n:02d}" if n % 2 else None for n in range(40)],
                           "First Name": ["Ann"] * 40, "Last Name": ["Lee"] * 40,
                           "Postcode": ["=1+2" if n == 7 else "SW1A 1AA" for n in range(40)],
                           "Country": [None if n % 3 else "United Kingdom" for n in range(40)]})
    people.to_csv(tmp_path / "customers.csv", index=False)
    before = book.read_bytes()
    assert main(["audiences", str(book), "--out", str(tmp_path / "ads"), "--customers",
                 str(tmp_path / "customers.csv")]) == 0
    out = capsys.readouterr().out
    assert book.read_bytes() == before  # the workbook is only read
    names = sorted(p.name for p in (tmp_path / "ads").iterdir())
    assert names == sorted(f"{p} {k}.csv" for p in audiences.PLATFORMS for k in ("seed", "suppression"))
    assert "not anonymisation" in out and "LinkedIn asks for at least 300: too few to use yet" in out
    for path in (tmp_path / "ads").iterdir():
        text = path.read_text(encoding="utf-8")
        assert "@" not in text and EMPTY not in text and not text.startswith("\ufeff"), path.name
    with (tmp_path / "ads" / "google suppression.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 40  # everyone has a name to match on
    zips = [row["Zip"] for row in rows]
    assert zips.count("'=1+2") == 1 and "=1+2" not in zips  # a cell shown to people cannot run as a formula
    assert sha("person.1@example.com") in {row["Email"] for row in rows}
    assert sha("+447700900101") in {row["Phone"] for row in rows}  # no Country: the default, GB
    assert sum(row["Email"] == row["Phone"] == "" for row in rows) == 4  # C00, C10, C20, C30: no e-mail or phone
    with (tmp_path / "ads" / "meta seed.csv").open(encoding="utf-8") as handle:
        seed = list(csv.DictReader(handle))
    assert 0 < len(seed) < 40 and all(float(row["value"]) > 0 for row in seed)
    assert f"{Path(tmp_path / 'ads' / 'meta seed.csv')}: {len(seed)} customers (Meta asks for at least 100" in out


def test_without_contact_data_nothing_is_written(tmp_path, capsys):
    book = build_template(tmp_path / "shop.xlsx", orders=_orders())
    assert main(["audiences", str(book), "--out", str(tmp_path / "ads")]) == 1
    assert "No customer has an e-mail, phone or name to match on" in capsys.readouterr().err
    assert not (tmp_path / "ads").exists()
