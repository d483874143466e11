"""`python manage.py api_key SUPPLIER`: create an API key for a supplier and print it once, on the last line."""

from django.core.management.base import BaseCommand, CommandError

from integrations_core.api_keys import api_key_create, supplier_lookup
from integrations_core.errors import ServiceError


class Command(BaseCommand):
    help = "Create an API key for a supplier (by id or name). The key is printed once, on the last line."

    def add_arguments(self, parser):
        parser.add_argument("supplier", help="the supplier's id or name")
        parser.add_argument("--name", default="", help="a label for the key, e.g. 'storefront production'")

    def handle(self, *args, **options):
        try:
            supplier = supplier_lookup(ref=options["supplier"])
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        key, raw = api_key_create(supplier=supplier, name=options["name"] or "created by manage.py api_key")
        self.stdout.write(f"API key {key.prefix} for {supplier} (id {supplier.pk}); it is shown only now:")
        self.stdout.write(raw)
