"""A JSONField that gives objects back with their keys in the order they were written.

PostgreSQL's `jsonb` (what Django's JSONField uses there) stores objects with their keys sorted
shortest first, so a function's parameters, a JSON schema's properties or metadata came back
reordered: the builder showed `zip` before `city`, and a model answers a schema's properties in
the order it reads them. PostgreSQL's `json` keeps the text as written. Only fields nobody
queries into use it (`json` has no containment or key-existence operators, and its equality is
compared as jsonb); SQLite stores text either way."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from django.db import models
from django.db.models.fields.json import JSONExact


class OrderedJSONField(models.JSONField):
    def db_type(self, connection) -> str | None:
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        if connection.vendor != "postgresql":
            return super().get_db_prep_value(value, connection, prepared)
        # Sent as `json`, not `jsonb`: a jsonb parameter would be reordered before it is stored.
        from psycopg.types.json import Json

        if not prepared:
            value = self.get_prep_value(value)
        return Json(value, dumps=partial(json.dumps, cls=self.encoder))

    def from_db_value(self, value: Any, expression, connection) -> Any:
        if value is not None and not isinstance(value, str):
            return value  # psycopg decodes `json` itself (Django only asks it not to for jsonb)
        return super().from_db_value(value, expression, connection)


@OrderedJSONField.register_lookup
class OrderedJSONExact(JSONExact):
    """`field=value` on PostgreSQL: `json` has no equality operator, so both sides are compared
    as jsonb (key order does not matter to equality)."""

    def as_postgresql(self, compiler, connection) -> tuple[str, tuple]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs})::jsonb = ({rhs})::jsonb", (*lhs_params, *rhs_params)
