"""Pages of the register's big lists (tasks, milestones): keyset pages by cursor, numbered pages kept.

Two ways to ask for a page, both answering ``{"count", "next", "previous", "results"}``:

- **by cursor** (the default): ``/api/tasks/`` is the first page and its ``next`` link carries
  ``?cursor=…``, an opaque token holding the position of the page's last row in the list's
  default order. The page after a position is a row-value condition on that order's columns —
  ``(plan_id, sort_key, id) > (…)``, the columns of ``task_plan_sort_idx`` (id breaks ties of
  equal sort keys); ``(task_id, due_date, order, code) > (…)``, those of
  ``milestone_default_order_idx`` (unique, since codes are unique in a task) — so the database
  starts at the position instead of reading and throwing away every earlier row, and page 400
  costs about what page 1 costs. (PostgreSQL compares the row values natively; on SQLite Django
  spells them out as nested ``OR`` conditions, with the same result.)
- **by number**: ``?page=N`` as before, for clients that compute page numbers; ``next`` and
  ``previous`` stay numbered. With ``?ordering=`` the list is always numbered (the cursor only
  knows the default order).

Either way the rows come in one statement: the page's ids are picked in a subquery that reads
only the list's own columns and what its filters need (for a numbered page its ``OFFSET`` skips
those narrow rows, not rows joined to plan, task and units), and only the page's rows are then
joined and read with ``.values()`` (see ``tasks.api.rows``). ``count`` is the number of rows
matching the filters, counted on every page by one ``COUNT(*)`` without the output's joins.

Queries per page are constant: count, rows, and for tasks one for the responsible units.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import F, Model, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from tasks.api.rows import ListRows, Row

INVALID_CURSOR = _("翻页游标无效，请使用上一次响应中的 next 或 previous 链接。")


@dataclass(frozen=True)
class Cursor:
    """A position in a list's keyset order: rows after it, or (``backwards``) rows before it."""

    position: tuple[Any, ...]
    backwards: bool = False

    def encode(self) -> str:
        values = [value.isoformat() if isinstance(value, date) else value for value in self.position]
        payload = json.dumps({"before" if self.backwards else "after": values}, separators=(",", ":"))
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, model: type[Model], keyset: Sequence[str]) -> Cursor:
        """The cursor in ``token``, its values checked against the keyset's fields; a 400 naming ``cursor`` if not."""
        try:
            payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            (direction, values), = payload.items()
            if direction not in ("after", "before") or not isinstance(values, list) or len(values) != len(keyset):
                raise ValueError(token)
            position = tuple(_clean(model, name, value) for name, value in zip(keyset, values, strict=True))
        # ValueError covers bad base64 (binascii.Error), bad UTF-8 and bad JSON.
        except (ValueError, TypeError, AttributeError, DjangoValidationError) as exc:
            raise ValidationError({"cursor": [INVALID_CURSOR]}) from exc
        return cls(position=position, backwards=direction == "before")


def _clean(model: type[Model], name: str, value: Any) -> Any:
    """``value`` as the column ``name`` (a field's name or attname) holds it, within the column's range.

    Keyset columns are never null, so neither is a cursor's value.
    """
    field = next(field for field in model._meta.concrete_fields if name in (field.name, field.attname))
    if field.is_relation:
        field = field.target_field
    if value is None or isinstance(value, (bool, dict, list)):
        raise ValueError(value)
    cleaned = field.to_python(value)
    field.run_validators(cleaned)
    return cleaned


class RegisterPagination(PageNumberPagination):
    """Keyset pages by ``cursor`` in the list's default order; numbered pages by ``page``; 50 rows.

    The view provides ``list_rows()`` (a ``tasks.api.rows.ListRows``); ``paginate_queryset``
    returns the page's rendered rows.
    """

    page_size = 50
    cursor_query_param = "cursor"
    cursor_query_description = _("翻页游标：取自上一次响应的 next / previous 链接（默认顺序下翻页）。")

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: APIView | None = None) -> list[Row]:
        self.request = request
        self.page = None
        self.next_cursor: Cursor | None = None
        self.previous_cursor: Cursor | None = None
        source: ListRows = view.list_rows()  # type: ignore[union-attr]
        token = request.query_params.get(self.cursor_query_param)
        # A list in the model's default order has no explicit order_by; ?ordering= gives it one.
        default_order = not queryset.query.order_by
        if token is not None:
            if self.page_query_param in request.query_params:
                raise ValidationError({"cursor": [_("cursor 与 page 不能同时使用。")]})
            if not default_order:
                raise ValidationError({"cursor": [_("cursor 只用于默认顺序，不能与 ordering 同时使用。")]})
            cursor = Cursor.decode(token, queryset.model, source.keyset)
            return self._keyset_page(queryset, source, cursor)
        if self.page_query_param in request.query_params or not default_order:
            return self._numbered_page(queryset, source)
        return self._keyset_page(queryset, source, None)

    def _rows(self, queryset: QuerySet, ids: QuerySet, ordering: Sequence[str], source: ListRows) -> list[Row]:
        # ``ids`` is a slice of the scoped, filtered list: only rows the user may read get here.
        page = queryset.model._default_manager.filter(pk__in=ids).order_by(*ordering)
        return list(source.values(page))

    def _keyset_page(self, queryset: QuerySet, source: ListRows, cursor: Cursor | None) -> list[Row]:
        self.count = queryset.count()
        keyset = source.keyset
        ids = queryset
        if cursor is not None:
            after = TupleLessThan if cursor.backwards else TupleGreaterThan
            ids = ids.filter(after(Tuple(*(F(name) for name in keyset)), cursor.position))
        walk = [f"-{name}" for name in keyset] if cursor is not None and cursor.backwards else list(keyset)
        # One row more than a page tells whether there is anything beyond it.
        rows = self._rows(queryset, ids.order_by(*walk).values("pk")[: self.page_size + 1], keyset, source)
        more = len(rows) > self.page_size
        if cursor is not None and cursor.backwards:
            rows = rows[1:] if more else rows
            has_next, has_previous = bool(rows), more
        else:
            rows = rows[: self.page_size]
            has_next, has_previous = more, cursor is not None and bool(rows)
        if has_next:
            self.next_cursor = Cursor(position=tuple(rows[-1][name] for name in keyset))
        if has_previous:
            self.previous_cursor = Cursor(position=tuple(rows[0][name] for name in keyset), backwards=True)
        return source.render(rows)

    def _numbered_page(self, queryset: QuerySet, source: ListRows) -> list[Row]:
        # The keyset is the default order made unique; an ?ordering= gets the id to break its ties, which
        # would otherwise change places between pages.
        ordering = list(queryset.query.order_by)
        if not ordering:
            ordering = list(source.keyset)
        elif not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering.append("pk")
        paginator = DjangoPaginator(queryset, self.page_size)
        number = self.get_page_number(self.request, paginator)
        try:
            self.page = paginator.page(number)
        except InvalidPage as exc:
            raise NotFound(self.invalid_page_message.format(page_number=number, message=str(exc))) from exc
        self.count = paginator.count
        self.display_page_controls = paginator.num_pages > 1
        if not self.count:
            return []
        start = self.page.start_index() - 1
        ids = queryset.order_by(*ordering).values("pk")[start : start + self.page_size]
        return source.render(self._rows(queryset, ids, ordering, source))

    def get_next_link(self) -> str | None:
        if self.page is not None:
            return super().get_next_link()
        return self._cursor_link(self.next_cursor)

    def get_previous_link(self) -> str | None:
        if self.page is not None:
            return super().get_previous_link()
        return self._cursor_link(self.previous_cursor)

    def _cursor_link(self, cursor: Cursor | None) -> str | None:
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor.encode())

    def get_paginated_response(self, data: list[Row]) -> Response:
        return Response(
            {"count": self.count, "next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["next"]["example"] = "http://api.example.org/api/tasks/?cursor=eyJhZnRlciI6WzEsIjAx…"
        response["properties"]["count"]["description"] = force_str(_("符合筛选条件的总条数"))
        return response

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": force_str(self.cursor_query_description),
                "schema": {"type": "string"},
            },
        ]


class RowListMixin(GenericViewSet):
    """``list`` renders a page of lean rows (``list_rows()``) through ``RegisterPagination``, not the serializer.

    The serializer class still describes the rows (schema) and renders details and writes.
    """

    pagination_class = RegisterPagination

    def list_rows(self) -> ListRows:
        raise NotImplementedError

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = self.paginator.paginate_queryset(self.filter_queryset(self.get_queryset()), request, view=self)
        return self.get_paginated_response(rows)
