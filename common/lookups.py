"""`has_item`: "this JSON list contains that scalar", on Postgres and SQLite alike.

Django's own `contains` lookup on JSONField is not supported on SQLite, and a text search
would be wrong for values that are substrings of each other. On Postgres this is jsonb
containment (`@>`), which a GIN index serves; on SQLite it scans the list with json_each.
"""

import json

from django.db.models import JSONField, Lookup


@JSONField.register_lookup
class HasItem(Lookup):
    lookup_name = "has_item"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [value])

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} @> %s::jsonb", [*lhs_params, json.dumps([self.rhs])]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # lhs is the compiled column; the value travels as a parameter.
        return f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)", [  # noqa: S608
            *lhs_params,
            self.rhs,
        ]
