"""`python manage.py demo_setup`: a demo supplier with products, a customer and three invoices (INV-001 to
INV-003, issued in November 2026: the README's re-sync examples use them), and the admin and support logins."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from integrations_core.invoices import LineInput, invoice_generate
from integrations_core.models import Customer, Invoice, Product, Supplier
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
        cafe, _ = Customer.objects.get_or_create(supplier=supplier, name="The Corner Cafe")
        products = {p.sku: p for p in Product.objects.filter(supplier=supplier)}
        for number, day, sku, quantity in (("INV-001", 3, "BREAD", 12), ("INV-002", 10, "MILK", 24),
                                           ("INV-003", 17, "COFFEE", 5)):
            if not Invoice.objects.filter(supplier=supplier, number=number).exists():
                product = products[sku]
                invoice_generate(supplier=supplier, customer=cafe, number=number, issue_date=dt.date(2026, 11, day),
                                 currency="NZD", external_id=f"demo-{number}",
                                 lines=[LineInput(description=product.name, quantity=quantity, unit_price="4.50",
                                                  product=product)])
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", "admin")
        if not User.objects.filter(username="support").exists():
            User.objects.create_user("support", "support@example.com", "support", is_staff=True).groups.add(
                ensure_support_group())
        self.stdout.write(f"Demo supplier: {supplier.name} (id {supplier.pk}); admin login: admin / admin; "
                          "support login: support / support")
