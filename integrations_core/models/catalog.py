"""Suppliers, their customers (venues) and products."""

from django.db import models


class Supplier(models.Model):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        # Staff with this permission see and act on every supplier's objects, in the API and the admin.
        permissions = [("support_any_supplier", "Can support any supplier")]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A venue that orders from a supplier; becomes the contact on the remote invoice."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="customers")
    # The storefront's own id of the retailer: it outlives a rename, so remote contacts are matched by it first.
    external_id = models.CharField("retailer id", max_length=64, blank=True, null=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "name"], name="customer_unique_name"),
            models.UniqueConstraint(fields=["supplier", "external_id"], condition=models.Q(external_id__isnull=False),
                                    name="customer_unique_external_id"),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """An item the supplier sells, with the accounting codes its invoice lines carry."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="products")
    sku = models.CharField("item code", max_length=64)
    name = models.CharField(max_length=200)
    sales_account_code = models.CharField(max_length=32, blank=True)
    expense_account_code = models.CharField("expense (GL) account", max_length=32, blank=True)
    tax_type = models.CharField(max_length=32, blank=True)
    # The supplier's own grouping (dairy, bakery): a connection's settings may give a category its own account.
    category = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["supplier", "sku"], name="product_unique_sku")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"
