"""A hot list's SQL compiled once per distinct request (CompiledOnce)."""

from collections.abc import Hashable
from typing import Any, ClassVar

from django.db import connections
from django.db.models import QuerySet

_ORM = "orm"  # the entry of a query that the ORM must read itself (its columns need converting)


class CompiledOnce:
    """A values() QuerySet as DRF's CursorPagination uses it (order_by(), a filter() on the
    cursor's position, one slice), whose SQL is compiled once per distinct request.

    Django compiles a QuerySet to SQL on every evaluation: for the public catalogue that took
    longer than PostgreSQL takes to run the query. The same request (a shop's first page, the
    same cursor) always compiles to the same SQL and parameters, so they are kept, keyed by
    ``key``, which must name everything the base QuerySet was built from (its filters), plus
    the operations recorded here. Only the SQL is kept: the rows are read afresh every time.

    The shortcut reads rows with a plain cursor, so it is taken only when no column needs a
    conversion from the database (checked once per entry: true on PostgreSQL for integers,
    text and timestamptz; not on SQLite, whose datetimes are strings), and the ORM reads the
    others as usual. At most MAX_ENTRIES are kept per process; the store then starts afresh.
    """

    MAX_ENTRIES = 1024
    _entries: ClassVar[dict[Hashable, Any]] = {}

    def __init__(self, queryset: QuerySet, key: Hashable, operations: tuple = ()) -> None:
        self._queryset = queryset
        self._key = key
        self._operations = operations

    def order_by(self, *fields: str) -> "CompiledOnce":
        return CompiledOnce(self._queryset, self._key, (*self._operations, ("order_by", fields)))

    def filter(self, **lookups: Hashable) -> "CompiledOnce":
        operation = ("filter", tuple(sorted(lookups.items())))
        return CompiledOnce(self._queryset, self._key, (*self._operations, operation))

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        key = (self._key, self._operations, window.start, window.stop)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._compile(window)
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = entry
        if isinstance(entry, str):  # _ORM
            return list(self._built()[window])
        sql, params, names = entry
        with connections[self._queryset.db].cursor() as cursor:
            cursor.execute(sql, params)
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _built(self) -> QuerySet:
        queryset = self._queryset
        for kind, arguments in self._operations:
            queryset = (
                queryset.order_by(*arguments) if kind == "order_by" else queryset.filter(**dict(arguments))
            )
        return queryset

    def _compile(self, window: slice) -> tuple[str, tuple, list[str]] | str:
        query = self._built()[window].query
        compiler = query.get_compiler(self._queryset.db)
        sql, params = compiler.as_sql()
        if compiler.get_converters([column for column, _sql, _alias in compiler.select]):
            return _ORM
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        return sql, tuple(params), names
