"""Money, dates and numbers follow the ACTIVE language (en, fr, ja, ko), in Python and in templates.

Babel formats money (common/money.py); Django's own formats (DATE_FORMAT, SHORT_DATE_FORMAT…)
format dates. The non-breaking spaces are what a French reader expects, so they are spelled out.
"""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from common.money import Money, format_money

NBSP, NNBSP = "\xa0", "\u202f"  # no-break space, narrow no-break space (French digit groups)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["$10.00", "€1,000.00", "¥1,000", "₩10,000"]),
        (
            "fr",
            [f"10,00{NBSP}$US", f"1{NNBSP}000,00{NBSP}€", f"1{NNBSP}000{NBSP}JPY", f"10{NNBSP}000{NBSP}₩"],
        ),
        ("ja", ["$10.00", "€1,000.00", "￥1,000", "₩10,000"]),
        ("ko", ["US$10.00", "€1,000.00", "JP¥1,000", "₩10,000"]),
    ],
)
def test_money_is_formatted_in_the_active_language(language, expected):
    amounts = [Money(1000, "USD"), Money(100_000, "EUR"), Money(1000, "JPY"), Money(10_000, "KRW")]
    with translation.override(language):
        assert [format_money(amount) for amount in amounts] == expected


def test_an_explicit_locale_wins_over_the_active_language():
    # Emails are rendered for their recipient, whatever the language of the request that sent them.
    with translation.override("en"):
        assert format_money(Money(100_000, "EUR"), "fr") == f"1{NNBSP}000,00{NBSP}€"


def test_yen_and_won_are_whole_units_in_every_language():
    # ¥1,999 is 1999 minor units: no cents appear, and nothing is divided by 100.
    shown = {}
    for language in ("en", "fr", "ja", "ko"):
        with translation.override(language):
            shown[language] = (format_money(Money(1999, "JPY")), format_money(Money(1999, "KRW")))
    assert shown == {
        "en": ("¥1,999", "₩1,999"),
        "fr": (f"1{NNBSP}999{NBSP}JPY", f"1{NNBSP}999{NBSP}₩"),
        "ja": ("￥1,999", "₩1,999"),
        "ko": ("JP¥1,999", "₩1,999"),
    }


PAGE = Template(
    '{% load money humanize %}{{ price|money }}|{{ day|date:"DATE_FORMAT" }}|'
    '{{ day|date:"SHORT_DATE_FORMAT" }}|{{ ratio }}|{{ count|intcomma }}'
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "¥1,000|March 5, 2026|03/05/2026|1234.5|1,234,567"),
        ("fr", f"1{NNBSP}000{NBSP}JPY|5 mars 2026|05/03/2026|1234,5|1{NBSP}234{NBSP}567"),
        ("ja", "￥1,000|2026年3月5日|2026/03/05|1234.5|1,234,567"),
        ("ko", "JP¥1,000|2026년 3월 5일|2026-3-5|1234.5|1,234,567"),
    ],
)
def test_templates_format_money_dates_and_numbers_for_the_language(language, expected):
    context = Context(
        {"price": Money(1000, "JPY"), "day": datetime.date(2026, 3, 5), "ratio": 1234.5, "count": 1234567}
    )
    with translation.override(language):
        assert PAGE.render(context) == expected


def test_a_datetime_is_shown_in_the_language_of_the_reader():
    moment = datetime.datetime(2026, 11, 22, 14, 30, tzinfo=datetime.UTC)
    template = Template('{{ moment|date:"DATETIME_FORMAT" }}')
    rendered = {}
    for language in ("en", "fr", "ja", "ko"):
        with translation.override(language):
            rendered[language] = template.render(Context({"moment": moment}))
    assert rendered["en"].startswith("Nov. 22, 2026")
    assert rendered["fr"].startswith("22 novembre 2026")
    assert rendered["ja"].startswith("2026年11月22日")
    assert rendered["ko"].startswith("2026년 11월 22일")
