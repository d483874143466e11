"""One error shape for every API failure: `{"code", "message", "field_errors"}`.

Service errors keep their own code and status; DRF's errors are mapped to the same shape; anything
unexpected is logged and answered without a traceback.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ..errors import ServiceError
from .parsers import RequestTooLarge

log = logging.getLogger(__name__)


class InvalidCursor(exceptions.APIException):
    """A list's `cursor` that this service did not hand out (undecodable, or a position of the wrong type)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Invalid cursor."
    default_code = "invalid_cursor"


_CODES = {
    RequestTooLarge: "request_too_large",
    InvalidCursor: "invalid_cursor",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "malformed_request",
    exceptions.Throttled: "rate_limited",
}


def error_body(code: str, message: str, field_errors: dict | None = None) -> dict:
    """The JSON body of every error response."""
    return {"code": code, "message": message, "field_errors": field_errors or {}}


def flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as `{"lines[0].quantity": ["..."]}`."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors":
                name = prefix or "non_field_errors"  # a nested serializer's own error belongs to its field
            elif isinstance(key, int):  # a list serializer's errors, by position
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(flatten(item, f"{prefix}[{index}]"))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return {k: v for k, v in out.items() if v}


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.field_errors), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # Django's refusal of a body over DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):  # Django answers these 400 too; never a 500
        exc = exceptions.ParseError("The request is malformed.")
    if isinstance(exc, exceptions.ValidationError):
        set_rollback()
        return Response(error_body("invalid_input", "The request is not valid.", flatten(exc.detail)),
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if isinstance(exc, exceptions.Throttled):
            headers["Retry-After"] = str(int(exc.wait or 1))
        code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "error")
        message = exc.detail if isinstance(exc.detail, str) else "The request failed."
        return Response(error_body(code, str(message)), status=exc.status_code, headers=headers)
    log.exception("unexpected API error in %s", context.get("view").__class__.__name__)
    set_rollback()
    return Response(error_body("server_error", "Something went wrong on our side; it has been logged."),
                    status=status.HTTP_500_INTERNAL_SERVER_ERROR)
