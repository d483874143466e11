"""API clients: a supplier's key, another supplier's key, and a support user."""

import pytest
from rest_framework.test import APIClient

from tests.factories import SupplierFactory, api_key_for, support_user


def client_with_key(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


@pytest.fixture
def api(supplier):
    """The storefront of `supplier`."""
    return client_with_key(api_key_for(supplier))


@pytest.fixture
def other_supplier(db):
    return SupplierFactory(name="Other Foods")


@pytest.fixture
def other_api(other_supplier):
    """The storefront of another supplier."""
    return client_with_key(api_key_for(other_supplier))


@pytest.fixture
def support_api(db):
    client = APIClient()
    client.force_login(support_user())
    return client
