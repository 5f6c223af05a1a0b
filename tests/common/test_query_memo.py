"""common.query_memo.CompiledOnce: the SQL is compiled once per request shape, the rows are fresh."""

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler

from common.query_memo import CompiledOnce
from payments.models import Payment
from shops.models import Product
from tests.shops.factories import make_product, make_shop

FIELDS = ("id", "title", "price_minor", "created_at", "shop__slug")


@pytest.fixture(autouse=True)
def _empty_store():
    CompiledOnce._entries.clear()
    yield
    CompiledOnce._entries.clear()


@pytest.fixture
def shop(creator):
    return make_shop(creator, slug="riso-prints")


@pytest.fixture
def compilations(monkeypatch):
    """How many times Django compiled a query to SQL."""
    calls = []
    real = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        calls.append(self.query.model)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return calls


def _page(key="riso-prints", start=0, stop=3, newer_than=None):
    base = Product.objects.filter(shop__slug=key).values(*FIELDS)
    rows = CompiledOnce(base, key=("shop", key)).order_by("-created_at", "-id")
    if newer_than is not None:
        rows = rows.filter(created_at__gt=newer_than)
    return rows[start:stop]


def _orm(key="riso-prints", start=0, stop=3):
    return list(
        Product.objects.filter(shop__slug=key).values(*FIELDS).order_by("-created_at", "-id")[start:stop]
    )


def test_the_rows_are_what_the_orm_reads(shop):
    for n in range(5):
        make_product(shop, title=f"Print {n}")
    assert _page() == _orm()
    assert _page(start=3, stop=6) == _orm(start=3, stop=6)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's datetimes need converting: ORM path")
def test_the_same_request_is_compiled_once_and_still_reads_fresh_rows(shop, compilations):
    make_product(shop, title="First")
    assert [row["title"] for row in _page()] == ["First"]
    compiled = len(compilations)
    make_product(shop, title="Second")  # compiles its own INSERT
    compiled_by_insert = len(compilations) - compiled
    assert [row["title"] for row in _page()] == ["Second", "First"]
    assert len(compilations) == compiled + compiled_by_insert  # the page was not compiled again


def test_each_key_and_each_operation_has_its_own_sql(shop, other_creator):
    other = make_shop(other_creator, slug="other-shop")
    make_product(shop, title="Ours")
    make_product(other, title="Theirs")
    assert [row["title"] for row in _page()] == ["Ours"]
    assert [row["title"] for row in _page("other-shop")] == ["Theirs"]
    first = _page()[0]
    assert _page(newer_than=first["created_at"]) == []
    assert len(CompiledOnce._entries) == 3


def test_columns_that_need_converting_are_read_by_the_orm(db):
    # A JSONField is converted from the database on every backend: no plain-cursor shortcut.
    rows = CompiledOnce(Payment.objects.values("id", "splits"), key="payments").order_by("id")
    assert rows[0:5] == []
    assert list(CompiledOnce._entries.values()) == ["orm"]


def test_the_store_is_bounded(shop, monkeypatch):
    monkeypatch.setattr(CompiledOnce, "MAX_ENTRIES", 2)
    for key in ("a", "b", "c"):
        _page(key)
    assert len(CompiledOnce._entries) == 1
