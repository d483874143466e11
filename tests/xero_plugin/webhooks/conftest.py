import pytest

from .signed import KEY


@pytest.fixture(autouse=True)
def _webhook_key(settings):
    settings.XERO_WEBHOOK_KEY = KEY
