"""`manage.py api_key SUPPLIER`: the key on the last line, once; bad input is one line and a non-zero exit."""

import io

import pytest
from django.core.management import CommandError, call_command

from integrations_core.api_keys import api_key_authenticate
from integrations_core.models import ApiKey

pytestmark = pytest.mark.django_db


def test_api_key_command_prints_a_working_key_on_its_last_line(supplier):
    for ref in (supplier.name, str(supplier.pk), supplier.name.upper()):
        out = io.StringIO()
        call_command("api_key", ref, stdout=out)
        raw = out.getvalue().strip().splitlines()[-1]
        assert api_key_authenticate(raw_key=raw).supplier == supplier
    assert ApiKey.objects.filter(supplier=supplier).count() == 3
    assert not ApiKey.objects.filter(hashed_key=raw).exists()


def test_api_key_command_unknown_supplier_is_one_clear_line(db):
    with pytest.raises(CommandError, match="No supplier with id or name 'Nobody'"):
        call_command("api_key", "Nobody")
    assert not ApiKey.objects.exists()
