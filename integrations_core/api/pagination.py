"""Cursor pagination: stable under inserts, constant cost however deep the page.

A cursor is DRF's (base64 of offset, direction and the position on the first ordering field), so a caller can
forge one. Before it reaches the query it is validated: undecodable, or a position that is not a value of the
ordering field's type (a timestamp for `created_at`, a date for `issue_date`, an id in range), is a 400
`invalid_cursor` in the API's error shape, not DRF's 404 and never a database error.

`page_size` is a whole number from 1 to the page's maximum, as the schema says; anything else is a 400 naming
it (DRF would quietly serve the default page for `page_size=abc` and cut 500 down to the maximum).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError as BadInput
from rest_framework.pagination import CursorPagination

from .errors import InvalidCursor

MAX_POSITION_LENGTH = 256  # no position this service writes is near it


def _ordering_field(model, name: str):
    """The model field `name` (`a__b` followed through relations), or None."""
    field = None
    for part in name.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    return field


def position_is_valid(field, position: str) -> bool:
    """True when `position` (a cursor's decoded text) is a value the `field` lookup can take."""
    if len(position) > MAX_POSITION_LENGTH or "\x00" in position:
        return False
    if field is None:
        return True
    if field.is_relation:
        field = field.target_field
    try:
        value = field.to_python(position)
        field.run_validators(value)  # integer fields: the database's range
    except (ValidationError, TypeError, ValueError, OverflowError):
        return False
    if value is None:
        return False
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):  # the service writes positions with their offset
            return False
        try:  # the database compares in UTC: a year-1 or year-9999 value with an offset would overflow
            value.astimezone(dt.timezone.utc)
        except (ValueError, OverflowError):
            return False
    if isinstance(field, models.DecimalField | models.FloatField) and not value == value:  # NaN
        return False
    return True


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = InvalidCursor.default_detail
    _model = None

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (len(raw) <= 9 and raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise BadInput({self.page_size_query_param: [f"Give a whole number from 1 to {self.max_page_size}."]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
                parameter["description"] = f"Results per page, 1 to {self.max_page_size} (default {self.page_size})."
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = ("A page's position: the `cursor` of a `next` or `previous` link this "
                                            "list answered with. Any other value is a 400 `invalid_cursor`.")
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        self._model = getattr(queryset, "model", None)
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise InvalidCursor() from None
        if cursor is not None and cursor.position is not None:
            order = self.ordering[0] if isinstance(self.ordering, (list, tuple)) else self.ordering
            if not position_is_valid(_ordering_field(self._model, order.lstrip("-")), cursor.position):
                raise InvalidCursor()
        return cursor
