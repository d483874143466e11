"""Errors to Sentry (when SENTRY_DSN is set; see config/settings.py): what leaves the service is scrubbed first."""

from __future__ import annotations

from .scrub import scrub_value


def before_send(event: dict, hint: dict) -> dict:
    """The event with every text scrubbed of tokens and secrets (messages, exception values, stack frames' local
    values, breadcrumbs from log lines, request data) and the values of secret-named keys removed. Sentry's own
    scrubber (send_default_pii=False) runs too; this one knows our credentials' names and Xero's token shapes."""
    return scrub_value(event)
