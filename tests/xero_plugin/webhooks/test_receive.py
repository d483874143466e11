"""Xero webhooks in: signature over the raw body, intent to receive, each event acted on once."""

import pytest

from integrations_core.models import RemoteEvent
from xero_plugin.sandbox import webhook_signature
from xero_plugin.webhooks import signature_is_valid

from .signed import EVENT, KEY, post as _post


def test_webhook_signature_is_hmac_sha256_of_the_raw_body():
    body = b'{"events":[]}'
    assert signature_is_valid(body, webhook_signature(KEY, body), KEY)
    assert not signature_is_valid(body + b" ", webhook_signature(KEY, body), KEY)
    assert not signature_is_valid(body, webhook_signature("other", body), KEY)
    assert not signature_is_valid(body, "", KEY)


@pytest.mark.django_db
def test_webhook_intent_to_receive_200_when_signed_401_when_not(client):
    payload = {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "ABCDEF"}
    good = _post(client, payload)
    assert good.status_code == 200 and good.content == b"" and not good.cookies
    assert _post(client, payload, key="wrong-key").status_code == 401


@pytest.mark.django_db
def test_webhook_with_a_bad_signature_is_401_and_changes_nothing(client):
    response = _post(client, {"events": [EVENT]}, key="forged")
    assert response.status_code == 401 and response.content == b""
    assert RemoteEvent.objects.count() == 0


@pytest.mark.django_db
def test_webhook_replayed_event_is_recorded_once(client):
    payload = {"events": [EVENT], "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "x"}
    assert _post(client, payload).status_code == 200
    assert _post(client, payload).status_code == 200
    [event] = RemoteEvent.objects.all()
    assert (event.provider, event.event_type, event.resource_id) == ("xero", "UPDATE", EVENT["resourceId"])
    assert event.occurred_at.isoformat().startswith("2026-11-21T01:15:39")
