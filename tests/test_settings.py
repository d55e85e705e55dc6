"""Settings declared once: the Python API, the Settings sheet and its parser agree on every setting."""

import dataclasses
import datetime as dt
import re

import pandas as pd
import pytest

from rfm_excel.base.errors import RfmError
from rfm_excel.base.settings import SETTING_ROWS, Settings, parse_settings
from rfm_excel.core import score
from rfm_excel.layout.template import settings_grid

# A value other than the default for every setting, written as someone would in Python. A new setting
# must be added here, or the first test fails.
OTHER_VALUES = {
    "as_of": dt.date(2024, 6, 30), "window_months": 12, "recency_bins": 4, "frequency_bins": 3,
    "monetary_bins": 9, "recency_breakpoints": (30, 90.5, 180), "frequency_breakpoints": [1, 2, 4, 8],
    "monetary_breakpoints": (50,), "best_score": "lowest", "recency_weight": 2, "frequency_weight": 1.5,
    "monetary_weight": 0, "currency_symbol": "£", "date_order": "day first", "decimal_mark": "comma",
    "date_system": "1904 dates", "customer_column": "Client", "order_column": "Invoice", "date_column": "Day",
    "amount_column": "Total", "product_column": "SKU", "do_not_recommend": ("POST", "GIFT"),
    "pair_min_support": 3, "filter_column": "Category", "filter_values": ["Furniture", "Lighting"],
    "recent_purchase_days": 0, "contact_lead_days": 14, "holdout_seed": 2024, "campaign_date": dt.date(2024, 5, 1),
    "response_days": 45, "watch_return_share": 0.4, "watch_complaint_rate": 1.25, "forecast": False,
    "forecast_horizon_days": 180, "forecast_model": "bg/nbd", "monthly_discount_rate": 0.01,
    "slipping_below": 0.5, "best_segments": ("Champions",), "profile_columns": ("Country", "Channel"),
    "profile_ignore": ("Notes",), "profile_min_customers": 5, "default_country": "GB"}


def test_every_settings_field_is_one_row_of_the_sheet_with_a_rule():
    keys = [f.name for f in dataclasses.fields(Settings)]
    assert keys[-1] == "segments"  # the segment table, below the rows
    assert [row.key for row in SETTING_ROWS] == keys[:-1] == list(OTHER_VALUES)
    assert len({row.label.casefold() for row in SETTING_ROWS}) == len(SETTING_ROWS)
    for row in SETTING_ROWS:
        assert row.label and row.help and row.rule.need
        assert row.rule.typed(row.default) == row.default or row.default is None, row.key
        assert all(row.rule.typed(row.rule.read(choice)) is not None for choice in row.choices), row.key


def test_defaults_are_the_settings_and_the_sheet_shows_them():
    assert Settings() == Settings(**{row.key: row.default for row in SETTING_ROWS})
    assert parse_settings(settings_grid()) == Settings()
    assert Settings().pair_min_support == 10 and Settings().forecast_model == "Modified BG/NBD"


def test_a_value_the_api_accepts_reads_back_the_same_from_the_sheet():
    given = Settings(**OTHER_VALUES)
    changed = [row.key for row in SETTING_ROWS if getattr(given, row.key) == row.default]
    assert changed == []  # every example differs from its default, so the round trip proves something
    assert parse_settings(settings_grid(given)) == given
    assert (given.best_score, given.date_order, given.decimal_mark, given.forecast_model) == \
        ("Lowest", "Day first", "Comma", "BG/NBD")  # choices in any case are the choice
    assert (given.holdout_seed, given.recency_breakpoints, given.filter_values) == \
        ("2024", (30.0, 90.5, 180.0), ("Furniture", "Lighting"))


def test_each_setting_refuses_in_python_what_its_sheet_cell_refuses():
    wrong = {"decimal_mark": "dot", "currency_symbol": [], "customer_column": 5.5j, "date_system": "1905",
             "recency_bins": 10, "slipping_below": 1.5, "forecast": "maybe", "monthly_discount_rate": 1}
    for key, value in wrong.items():
        row = next(row for row in SETTING_ROWS if row.key == key)
        with pytest.raises(RfmError, match=re.escape(f"Settings {key} must be {row.rule.need}; it is {value!r}.")):
            Settings(**{key: value})
    with pytest.raises(RfmError, match=re.escape("Settings!B1 (Decimal mark) must be one of Automatic, Point, "
                                                 "Comma; it says 'dot'.")):
        parse_settings([["Decimal mark", "dot"]])


def test_blank_is_allowed_exactly_where_the_default_is_blank():
    for row in SETTING_ROWS:
        if row.default is None:
            assert getattr(Settings(**{row.key: None}), row.key) is None
        else:
            with pytest.raises(RfmError, match=f"^Settings {row.key} must be"):
                Settings(**{row.key: None})


def test_decimal_comma_given_in_python_in_lower_case_reads_amounts_with_a_comma():
    """The bug: "comma" was kept as typed, read as Automatic, and the refusal asked for what was set."""
    orders = pd.DataFrame({"Customer ID": ["a", "b", "a"], "Order Date": ["2024-01-02", "2024-02-03", "2024-03-04"],
                           "Amount": ["1,234", "2,500", "3,750"]})
    settings = Settings(decimal_mark="comma")
    assert settings.decimal_mark == "Comma"
    scores = score(orders, settings).scores.set_index("customer_id")
    assert scores.loc["a", "monetary"] == pytest.approx(1.234 + 3.75, abs=0.005)  # to the cent
    assert scores.loc["b", "monetary"] == pytest.approx(2.5)
