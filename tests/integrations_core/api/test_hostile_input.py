"""Hostile input is a 4xx in the error shape, never a 500: a body over the size limit is a 413, JSON nested too
deeply a 400, and a forged cursor on any list endpoint a 400 `invalid_cursor`."""

import base64
import io
from urllib.parse import urlencode

import pytest

from integrations_core.api.parsers import BoundedJSONParser, RequestTooLarge, TooDeeplyNested, loads
from integrations_core.models import Invoice, ResyncRun
from tests.factories import make_invoice, missed_while_expired

pytestmark = pytest.mark.django_db

SHAPE = {"code", "message", "field_errors"}


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) == SHAPE and body["code"] == code, body
    return body


def _invoice_body(**overrides) -> dict:
    data = {"number": "INV-1", "customer": "The Corner Cafe", "issue_date": "2026-11-01", "due_date": "2026-11-30",
            "currency": "AUD", "lines": [{"description": "Milk 2L", "quantity": "3", "unit_price": "2.50"}]}
    data.update(overrides)
    return data


# --- Size ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("put", "/api/v1/invoices/external/ord-big/"),
    ("post", "/api/v1/connections/"),
])
def test_a_body_over_the_limit_is_413_in_the_error_shape(api, supplier, settings, method, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    payload = _invoice_body(order_reference="x" * 20_000)
    response = getattr(api, method)(path, payload, format="json")
    body = _error(response, 413, "request_too_large")
    assert "10000 bytes" in body["message"]
    assert not Invoice.objects.exists()


def test_a_body_over_the_default_limit_is_413(api, supplier, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    payload = _invoice_body(order_reference="x" * 3_000_000)
    _error(api.put("/api/v1/invoices/external/ord-big/", payload, format="json"), 413, "request_too_large")
    assert not Invoice.objects.exists()


def test_a_body_over_the_limit_on_a_resync_action_is_413(api, netsuite, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = api.post(f"/api/v1/connections/{netsuite.pk}/resync/", {"invoice_ids": list(range(1, 2000))},
                        format="json")
    _error(response, 413, "request_too_large")
    assert not ResyncRun.objects.exists()


def test_a_body_under_the_limit_is_accepted(api, supplier, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    assert api.put("/api/v1/invoices/external/ord-small/", _invoice_body(), format="json").status_code == 201


def test_the_parser_holds_to_the_limit_whatever_the_stream(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    parser = BoundedJSONParser()
    assert parser.parse(io.BytesIO(b'{"a": 1}')) == {"a": 1}
    with pytest.raises(RequestTooLarge):
        parser.parse(io.BytesIO(b'{"a": "' + b"x" * 200 + b'"}'))


# --- Nesting ------------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    "[" * 100_000 + "]" * 100_000,
    "[" * 100_000,
    '{"a":' * 100_000 + "1" + "}" * 100_000,
    '{"number": "INV-1", "lines": ' + "[" * 33 + "]" * 33 + "}",
])
def test_deeply_nested_json_is_400_with_a_clear_message(api, supplier, payload):
    response = api.put("/api/v1/invoices/external/ord-deep/", payload, content_type="application/json")
    body = _error(response, 400, "malformed_request")
    assert "nested more than 32 levels deep" in body["message"]
    assert not Invoice.objects.exists()


def test_deeply_nested_json_on_an_action_is_400(api, netsuite):
    response = api.post(f"/api/v1/connections/{netsuite.pk}/resync/", "[" * 100_000 + "]" * 100_000,
                        content_type="application/json")
    _error(response, 400, "malformed_request")


def test_nesting_is_counted_outside_strings_only():
    assert loads('["' + "[" * 1000 + '"]') == ["[" * 1000]
    assert loads('["\\"[[[", ' + "[" * 31 + "]" * 31 + "]")[0] == '"[[['  # 32 deep, brackets in a string aside
    with pytest.raises(TooDeeplyNested):
        loads("[" * 33 + "]" * 33)
    assert loads("[" * 32 + "]" * 32) is not None
    with pytest.raises(ValueError):
        loads("[NaN]")


def test_malformed_json_is_still_400(api, supplier):
    for payload in ('{"number": ', '"\\"\\"\\"' * 1000, "\x00"):
        response = api.put("/api/v1/invoices/external/ord-bad/", payload, content_type="application/json")
        _error(response, 400, "malformed_request")


# --- Cursors ------------------------------------------------------------------------------------

def _b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode("utf-8") if isinstance(text, str) else text).decode("ascii")


def _at(position: str, **tokens) -> str:
    """A cursor made as DRF makes them (url-encoded tokens, base64), at a chosen position."""
    return _b64(urlencode({**tokens, "p": position}))


FORGED = {
    "not base64": "!!!not base64!!!",
    "not ascii": "é",
    "decodes to non-ascii": _b64(b"\xff\xfe"),
    "negative offset": _b64("o=-1"),
    "offset not a number": _b64("o=lots"),
    "direction not a number": _b64("r=maybe"),
    "position not a timestamp": _at("not-a-timestamp"),
    "position out of calendar": _at("2024-13-45 25:61:00+00:00"),
    "position year 99999": _at("99999-01-01 00:00:00+00:00"),
    "position before year 1 in UTC": _at("0001-01-01 00:00:00+05:00"),
    "position after year 9999 in UTC": _at("9999-12-31 23:59:59-05:00"),
    "position NUL": _at("\x00"),
    "position huge": _b64("p=" + "1" * 10_000),
    "position empty": _at(""),
}
# The backlog orders by issue date: these are not days.
FORGED_DATES = {"no such day": _at("2024-02-30"), "a word": _at("yesterday"), "year 10000": _at("10000-01-01"),
                "a timestamp": _at("2024-01-01 00:00:00.123456+00:00")}


def _list_paths(netsuite):
    return ["/api/v1/invoices/", f"/api/v1/connections/{netsuite.pk}/backlog/", "/api/v1/resync-runs/"]


@pytest.mark.parametrize("cursor", FORGED.values(), ids=FORGED.keys())
def test_a_forged_cursor_is_400_on_every_list_endpoint(api, netsuite, cursor):
    for path in _list_paths(netsuite):
        body = _error(api.get(path, {"cursor": cursor}), 400, "invalid_cursor")
        assert body["message"] == "Invalid cursor."


@pytest.mark.parametrize("cursor", FORGED_DATES.values(), ids=FORGED_DATES.keys())
def test_a_forged_date_cursor_is_400_on_the_backlog(api, netsuite, cursor):
    _error(api.get(f"/api/v1/connections/{netsuite.pk}/backlog/", {"cursor": cursor}), 400, "invalid_cursor")


def test_a_well_formed_position_is_served(api, netsuite):
    timestamp = _at("2024-01-01 00:00:00.123456+00:00")
    for path in ("/api/v1/invoices/", "/api/v1/resync-runs/"):
        response = api.get(path, {"cursor": timestamp})
        assert response.status_code == 200, response.content[:500]
    backlog = f"/api/v1/connections/{netsuite.pk}/backlog/"
    assert api.get(backlog, {"cursor": _at("2024-01-01", r="1")}).status_code == 200


def test_the_cursors_the_service_hands_out_still_page_every_list(api, supplier, netsuite):
    made = missed_while_expired(netsuite, 3)
    invoices = [make_invoice(supplier) for _ in range(2)]
    for _ in range(3):
        ResyncRun.objects.create(supplier=supplier, connection=netsuite, state="done")
    expected = {"/api/v1/invoices/": len(made) + len(invoices),
                f"/api/v1/connections/{netsuite.pk}/backlog/": len(made), "/api/v1/resync-runs/": 3}
    for path, count in expected.items():
        seen, page = [], api.get(path, {"page_size": 2}).json()
        seen += [row["id"] for row in page["results"]]
        while page["next"]:
            page = api.get(page["next"]).json()
            assert "results" in page, page
            seen += [row["id"] for row in page["results"]]
        assert len(seen) == len(set(seen)) == count, path
        back = api.get(page["previous"]).json() if page["previous"] else None
        assert back is None or back["results"], path

