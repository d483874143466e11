"""`python manage.py demo_setup`: a demo supplier with products and customers, and an admin login."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from integrations_core.models import Customer, Product, Supplier


class Command(BaseCommand):
    help = "Create the demo supplier (with products and a customer) and the admin login admin / admin."

    def handle(self, *args, **options):
        supplier, _ = Supplier.objects.get_or_create(name="Demo Foods")
        for sku, name, code in (("BREAD", "Sourdough loaf", "200"), ("MILK", "Milk 2L", "200"),
                                ("COFFEE", "Coffee beans 1kg", "200")):
            Product.objects.get_or_create(
                supplier=supplier, sku=sku,
                defaults={"name": name, "sales_account_code": code, "expense_account_code": "310",
                          "tax_type": "OUTPUT2"},
            )
        Customer.objects.get_or_create(supplier=supplier, name="The Corner Cafe")
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", "admin")
        self.stdout.write(f"Demo supplier: {supplier.name} (id {supplier.pk}); admin login: admin / admin")
