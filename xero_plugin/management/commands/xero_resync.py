"""`python manage.py xero_resync SUPPLIER [numbers...] [--since D --until D] [--backlog] [--dry-run]`:
Xero's manual re-sync from the command line, with an estimate, a progress bar and a summary table."""

import datetime as dt
import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from integrations_core.bulk import estimate, resync, select_invoices
from integrations_core.errors import NotFound, ServiceError
from integrations_core.models import Connection, Supplier


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


def connection_for(*, supplier) -> Connection:
    """The supplier's latest Xero connection. :raises NotFound: none."""
    connection = Connection.objects.filter(supplier=supplier, provider="xero").order_by("-updated_at").first()
    if connection is None:
        raise NotFound(f"{supplier} has no Xero connection.")
    return connection


class Command(BaseCommand):
    help = "Manually re-sync invoices of one supplier to Xero (chosen numbers, a date window or the backlog)."

    def add_arguments(self, parser):
        parser.add_argument("supplier", help="supplier id or name")
        parser.add_argument("numbers", nargs="*", help="invoice numbers")
        parser.add_argument("--since", type=_date, help="issue date from (YYYY-MM-DD)")
        parser.add_argument("--until", type=_date, help="issue date to (YYYY-MM-DD)")
        parser.add_argument("--backlog", action="store_true", help="the invoices that missed the sync window")
        parser.add_argument("--dry-run", action="store_true", help="list what would happen; push nothing")

    def handle(self, *args, **options):
        key = options["supplier"]
        supplier = (Supplier.objects.filter(pk=int(key)).first() if key.isdigit() else None) or \
            Supplier.objects.filter(name=key).first()
        if supplier is None:
            raise CommandError(f"No supplier {key!r}.")
        try:
            connection = connection_for(supplier=supplier)
            invoices = select_invoices(connection=connection, numbers=options["numbers"], since=options["since"],
                                       until=options["until"], backlog=options["backlog"])
            if not invoices:
                self.stdout.write(f"Nothing to re-sync: no invoice of {supplier.name} matches "
                                  f"({self._selection(options)}).")
                return
            self.stderr.write(estimate(connection, len(invoices)).describe())
            outcomes = self._resync(connection, invoices, options["dry_run"])
        except ServiceError as error:
            raise CommandError(error.message) from None
        self.stderr.write("")
        self.stderr.flush()  # the progress bar ends before the table starts, on one terminal
        width = max([len(o.number) for o in outcomes] + [7])
        self.stdout.write(f"{'invoice':<{width}}  {'outcome':<15} message")
        for o in outcomes:
            self.stdout.write(f"{o.number:<{width}}  {o.result:<15} {o.message}")
        counts = Counter(o.result for o in outcomes)
        self.stdout.write("summary: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing to do"))

    def _resync(self, connection, invoices, dry_run: bool):
        """The re-sync, waiting here (a person's terminal, not a worker) whenever Xero's budget is spent and
        pushing what it refused once it returns."""
        by_id = {invoice.pk: invoice for invoice in invoices}
        outcomes = {o.invoice_id: o for o in resync(connection=connection, invoices=invoices, dry_run=dry_run,
                                                      defer=True, progress=self._progress)}
        while deferred := [o for o in outcomes.values() if o.result == "deferred"]:
            wait = max(o.retry_after or 0 for o in deferred)
            self.stderr.write(f"\nXero's budget is spent: {len(deferred)} invoices wait {wait:.0f} s for it.")
            time.sleep(wait)
            again = select_invoices(connection=connection, invoice_ids=[o.invoice_id for o in deferred])
            outcomes.update((o.invoice_id, o) for o in resync(connection=connection, invoices=again, defer=True))
        return [outcomes[pk] for pk in by_id]

    @staticmethod
    def _selection(options) -> str:
        if options["numbers"]:
            return "numbers " + ", ".join(options["numbers"])
        if options["backlog"]:
            return "the backlog is empty"
        return f"issued {options['since'] or 'any time'} to {options['until'] or 'today'}"

    def _progress(self, done: int, total: int) -> None:
        filled = int(30 * done / total) if total else 30
        self.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", ending="")
