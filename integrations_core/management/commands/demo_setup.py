"""`python manage.py demo_setup`: a demo supplier with products and customers, and an admin login."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from integrations_core.models import Customer, Product, Supplier
from integrations_core.support import ensure_support_group


class Command(BaseCommand):
    help = "Create the demo supplier (with products and a customer), the admin login admin / admin and a support login."

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
        if not User.objects.filter(username="support").exists():
            User.objects.create_user("support", "support@example.com", "support", is_staff=True).groups.add(
                ensure_support_group())
        self.stdout.write(f"Demo supplier: {supplier.name} (id {supplier.pk}); admin login: admin / admin; "
                          "support login: support / support")
