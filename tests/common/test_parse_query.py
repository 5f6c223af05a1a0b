"""parse_query(): parse() for hot query strings, memoised on the parameters the serializer declares."""

import pytest
from django.http import QueryDict
from django.utils import translation
from rest_framework import exceptions, serializers

from common.api import parse, parse_query


class Filters(serializers.Serializer):
    shop = serializers.SlugField(required=False)
    q = serializers.CharField(required=False, max_length=5)
    sort = serializers.ChoiceField(choices=["newest", "price_asc"], required=False, default="newest")


@pytest.mark.parametrize(
    "query", ["", "shop=riso", "shop=riso&q=%20mug%20&sort=price_asc", "q=a&q=b", "shop=riso&page_size=50"]
)
def test_it_gives_what_parse_gives_and_the_same_again(query):
    params = QueryDict(query)

    expected = parse(Filters, params)

    assert parse_query(Filters, params) == expected
    assert parse_query(Filters, QueryDict(query)) == expected  # answered from the memo


def test_a_parameter_that_is_absent_stays_absent():
    assert parse_query(Filters, QueryDict("q=mug")) == {"q": "mug", "sort": "newest"}
    assert parse_query(Filters, QueryDict("")) == {"sort": "newest"}


def test_other_parameters_share_an_answer_and_callers_get_their_own_copy():
    first = parse_query(Filters, QueryDict("shop=riso&cursor=abc"))
    first["shop"] = "changed by a caller"

    assert parse_query(Filters, QueryDict("shop=riso&cursor=xyz")) == {"shop": "riso", "sort": "newest"}


def test_bad_input_raises_every_time_in_the_language_of_the_request():
    params = QueryDict("sort=cheapest&q=toolong")

    with pytest.raises(exceptions.ValidationError) as english:
        parse_query(Filters, params)
    with translation.override("fr"), pytest.raises(exceptions.ValidationError) as french:
        parse_query(Filters, params)

    assert set(english.value.detail) == set(french.value.detail) == {"sort", "q"}
    assert english.value.detail["q"][0].code == "max_length"
    assert str(english.value.detail["q"][0]) != str(french.value.detail["q"][0])
