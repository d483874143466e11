"""What an invoice looked like when pushed, and what changed since: for changes made after the remote
copy was locked (paid), which are kept, line by line, with the adjustment to make there."""

from __future__ import annotations

from decimal import Decimal

from .models import Invoice


def invoice_snapshot(invoice: Invoice) -> dict:
    """The content that reached the remote: version, total and each line's quantity, price and amount."""
    return {
        "version": invoice.version,
        "total": str(invoice.total),
        "lines": [
            {"position": line.position, "description": line.description, "quantity": str(line.quantity.normalize()),
             "unit_price": str(line.unit_price.normalize()), "amount": str(line.amount)}
            for line in invoice.lines.all()
        ],
    }


def locked_difference(before: dict, invoice: Invoice, provider_name: str) -> dict:
    """Line by line, what differs between the locked remote copy (`before`) and the invoice now, and the
    adjustment that squares it (a credit note for a lower total, an extra invoice for a higher one).
    Empty when nothing that shows on the invoice differs."""
    after = invoice_snapshot(invoice)
    old = {line["position"]: line for line in before.get("lines", [])}
    new = {line["position"]: line for line in after["lines"]}
    lines = []
    for position in sorted(old.keys() | new.keys()):
        a, b = old.get(position), new.get(position)
        if a == b:
            continue
        change = {"position": position, "description": (b or a)["description"]}
        for field in ("quantity", "unit_price", "amount"):
            was, now = (a or {}).get(field), (b or {}).get(field)
            if was != now:
                change[field] = {"before": was, "after": now}
        if len(change) > 2:
            lines.append(change)
    total_before = Decimal(before.get("total", "0"))
    total_after = Decimal(after["total"])
    difference = total_after - total_before
    if not lines and not difference:
        return {}
    if difference < 0:
        suggestion = (f"Raise a credit note in {provider_name} for {-difference:.2f} {invoice.currency} "
                      f"against invoice {invoice.number}.")
    elif difference > 0:
        suggestion = (f"Raise an additional invoice in {provider_name} for {difference:.2f} {invoice.currency} "
                      f"(invoice {invoice.number} is paid and locked).")
    else:
        suggestion = f"The total is unchanged; update the line details directly in {provider_name} if needed."
    return {
        "version": after["version"],
        "lines": lines,
        "total_before": str(total_before),
        "total_after": str(total_after),
        "difference": str(difference),
        "suggestion": suggestion,
    }
