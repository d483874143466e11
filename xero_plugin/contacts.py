"""Retailers -> Xero contacts, without duplicates.

A retailer (a `Customer`) is linked to one Xero contact per connection (`ContactLink`, by ContactID), and the link
is kept: a rename on either side changes nothing. A retailer's first push finds its contact by the storefront's
retailer id (Xero's ContactNumber), then by the exact name (as the `contact_match` setting allows), in one
look-up for a whole batch (none for a retailer matched by name only: Xero itself finds a contact by its exact
name); a retailer with no contact is sent by name and ContactNumber, so Xero creates the contact with the push
itself, and the ContactID Xero echoes is linked then. A contact already linked to another
retailer is never matched by name: two retailers share a contact only when support links them on purpose.
"""

from __future__ import annotations

from xero_python.accounting import Contact

from integrations_core import plugin_api
from integrations_core.models import Connection, ContactLink, Customer

from .client import call

WHERE_BATCH = 20  # retailers per look-up: Xero's where clause travels in the URL


def _quoted(value: str) -> str | None:
    """A value as a where-clause string literal, or None when it cannot be one safely."""
    return None if '"' in value or "\\" in value else f'"{value}"'


def _looked_up(customer: Customer, match: str) -> bool:
    """Whether a retailer's contact is looked up before its first push: by its retailer id (Xero's ContactNumber),
    or, matching by number only, to learn whether its name is another contact's."""
    return match == "number" or (bool(customer.external_id) and match == "number_then_name")


def _clause(customer: Customer, match: str) -> list[str]:
    parts = []
    number = _quoted(customer.external_id or "")
    if customer.external_id and number and match in ("number_then_name", "number"):
        parts.append(f"ContactNumber=={number}")
    name = _quoted(customer.name)
    if name:
        parts.append(f"Name=={name}")  # also in "number" mode: a same-named contact decides the name we send
    return parts


def resolve(client, connection: Connection, customers: list[Customer], match: str) -> dict[int, Contact]:
    """The Xero contact to send for each retailer (by customer id): the linked one, else one found now (and linked),
    else a new contact by name and ContactNumber for Xero to create."""
    links = plugin_api.contact_links(connection, customers)
    unlinked = list({c.pk: c for c in customers if c.pk not in links}.values())
    found: dict[int, Contact] = {}
    name_held: set[int] = set()  # retailers whose name a contact they do not match holds
    # Matched by name only, a retailer needs no look-up: sent by name, Xero finds the contact of that name or makes
    # it (and the push links it). Only a name another retailer's contact has is kept from it, from our own links.
    by_name = [c for c in unlinked if not _looked_up(c, match)]
    if by_name:
        held = {name.casefold() for name in ContactLink.objects.filter(connection=connection).exclude(
            customer_id__in=[c.pk for c in by_name]).values_list("remote_name", flat=True)}
        name_held.update(c.pk for c in by_name if c.name.casefold() in held)
    looked_up = [c for c in unlinked if _looked_up(c, match)]
    for start in range(0, len(looked_up), WHERE_BATCH):
        chunk = looked_up[start:start + WHERE_BATCH]
        clauses = [part for customer in chunk for part in _clause(customer, match)]
        if not clauses:
            continue
        data, _, _ = call(client, connection, "get_contacts", where=" OR ".join(clauses))
        contacts = [c for c in (data.contacts or []) if c.contact_id]
        taken = set(ContactLink.objects.filter(connection=connection, remote_id__in=[str(c.contact_id) for c in contacts])
                    .values_list("remote_id", flat=True))
        for customer in chunk:
            contact = _pick(customer, contacts, taken, match)
            if contact is not None:
                taken.add(str(contact.contact_id))
                found[customer.pk] = contact
            elif any((c.name or "").casefold() == customer.name.casefold() for c in contacts):
                name_held.add(customer.pk)
    for customer_id, contact in found.items():
        link(connection, next(c for c in unlinked if c.pk == customer_id), contact)
    answer: dict[int, Contact] = {}
    for customer in customers:
        if customer.pk in links:
            answer[customer.pk] = Contact(contact_id=links[customer.pk].remote_id)
        elif customer.pk in found:
            answer[customer.pk] = Contact(contact_id=found[customer.pk].contact_id)
        else:
            answer[customer.pk] = _new(customer, name_held=customer.pk in name_held)
    return answer


def _pick(customer: Customer, contacts: list, taken: set[str], match: str):
    """The contact a retailer matches: by ContactNumber, then (as allowed) by exact name; never one linked to
    another retailer."""
    free = [c for c in contacts if str(c.contact_id) not in taken]
    if customer.external_id and match in ("number_then_name", "number"):
        by_number = [c for c in free if (c.contact_number or "") == customer.external_id]
        if by_number:
            return by_number[0]
    if match in ("number_then_name", "name"):
        by_name = [c for c in free if (c.name or "").casefold() == customer.name.casefold()]
        if by_name:
            return by_name[0]
    return None


def _new(customer: Customer, *, name_held: bool) -> Contact:
    """A contact for Xero to create with the push. Xero matches a contact by name when it has no ContactID, so a
    name another contact holds gets the retailer id beside it, making it the retailer's own."""
    name = customer.name
    if name_held:
        name = f"{customer.name} ({customer.external_id or customer.pk})"
    return Contact(name=name[:255], contact_number=customer.external_id or None)


def link(connection: Connection, customer: Customer, contact, *, linked_by: str = "") -> ContactLink:
    """Keep `contact` (the SDK's Contact, or anything with contact_id and name) as the retailer's contact."""
    found, _ = ContactLink.objects.update_or_create(
        connection=connection, customer=customer,
        defaults={"remote_id": str(contact.contact_id), "remote_name": (getattr(contact, "name", "") or "")[:255],
                  "linked_by": linked_by})
    return found


def link_echoed(connection: Connection, customer: Customer, element) -> None:
    """After a push: link the contact Xero used (found by name or created) if the retailer has none yet."""
    contact = getattr(element, "contact", None)
    if contact is None or not getattr(contact, "contact_id", None):
        return
    if not ContactLink.objects.filter(connection=connection, customer=customer).exists():
        link(connection, customer, contact)
