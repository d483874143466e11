"""Xero webhooks that are signed but not Xero's payload are a 400 and store nothing; a body over the size limit
is a 413; the signature is still checked first (401) and intent to receive still passes."""

import pytest

from integrations_core.models import RemoteEvent

pytestmark = pytest.mark.django_db

from .signed import EVENT, KEY, post as _post, post_raw as _post_raw


def _event(**changes):
    event = dict(EVENT)
    for name, value in changes.items():
        if value is ...:
            event.pop(name)
        else:
            event[name] = value
    return event


NOT_XERO = [
    [EVENT],
    "events",
    None,
    {},
    {"events": {"0": EVENT}},
    {"events": "[]"},
    {"events": [EVENT, "not an event"]},
    {"events": [_event(resourceId=...)]},
    {"events": [_event(tenantId=...)]},
    {"events": [_event(eventCategory=...)]},
    {"events": [_event(eventType=...)]},
    {"events": [_event(resourceId=12345)]},
    {"events": [_event(resourceId="")]},
    {"events": [_event(tenantId=["c2cc9b6e"])]},
    {"events": [_event(eventCategory={"INVOICE": True})]},
    {"events": [_event(eventType=None)]},
    {"events": [_event(resourceId="x" * 65)]},
    {"events": [_event(eventType="U" * 33)]},
    {"events": [_event(resourceId="717f2bfc\x00")]},
    {"events": [_event(eventDateUtc="2026-13-45T99:00:00")]},
    {"events": [_event(eventDateUtc="yesterday")]},
    {"events": [_event(eventDateUtc=1714521600)]},
    {"events": [EVENT], "firstEventSequence": "1"},
    {"events": [EVENT], "entropy": 42},
]


@pytest.mark.parametrize("payload", NOT_XERO)
def test_a_signed_body_that_is_not_xeros_shape_is_400_and_stores_nothing(client, payload):
    response = _post(client, payload)
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"code", "message", "field_errors"}
    assert response.json()["code"] == "invalid_input"
    assert RemoteEvent.objects.count() == 0


def test_one_bad_event_among_good_ones_stores_none_of_them(client):
    other = _event(resourceId="0d7a1f4e-9a6b-4f0e-8f5e-1c2b3a4d5e6f")
    response = _post(client, {"events": [EVENT, other, _event(tenantId=...)]})
    assert response.status_code == 400 and "events[2].tenantId" in response.json()["message"]
    assert RemoteEvent.objects.count() == 0


@pytest.mark.parametrize("body", [b"not json", b"", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000,
                                  b'{"events": [' + b"[" * 10 + b"]" * 10 + b"]}", b'{"events": [NaN]}'])
def test_a_signed_body_that_is_not_json_or_too_deep_is_400(client, body):
    response = _post_raw(client, body)
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"
    assert RemoteEvent.objects.count() == 0


def test_a_body_over_the_limit_is_413_signed_or_not(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    payload = {"events": [_event(resourceId=f"{i:036d}") for i in range(100)]}
    for key in (KEY, "forged"):
        response = _post(client, payload, key=key)
        assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    assert RemoteEvent.objects.count() == 0


def test_a_badly_signed_body_of_the_wrong_shape_is_still_401(client):
    response = _post(client, {"events": "nope"}, key="forged")
    assert response.status_code == 401 and response.content == b""


def test_intent_to_receive_and_real_events_are_unchanged(client):
    itr = {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "S0m3r4Nd0mt3xt"}
    assert _post(client, itr).status_code == 200
    assert _post(client, itr, key="wrong").status_code == 401
    credit_note = _event(eventCategory="CREDITNOTE", resourceId="5b5b5b5b-0000-4000-8000-000000000001",
                         data={"Type": "ACCRECCREDIT", "Status": "AUTHORISED"})
    contact = _event(eventCategory="CONTACT", eventType="CREATE", eventDateUtc=...)
    response = _post(client, {"events": [EVENT, credit_note, contact], "firstEventSequence": 1,
                              "lastEventSequence": 3, "entropy": "x", "somethingNew": {"a": 1}})
    assert response.status_code == 200 and response.content == b""
    [event] = RemoteEvent.objects.all()  # only invoice events are kept
    assert event.resource_id == EVENT["resourceId"]
