"""The contract suite's harness for Xero: connections and invoices on the local Xero."""

from decimal import Decimal

from integrations_core.contract import Harness
from tests.factories import ProductFactory
from tests.xero_plugin.connecting import xero_connection
from tests.xero_plugin.plugin.conftest import point_settings_at
from xero_plugin.sandbox import TENANT_NZ


class XeroHarness(Harness):
    def __init__(self, provider, request):
        super().__init__(provider, request)
        self.sandbox = request.getfixturevalue("xero_sandbox")
        point_settings_at(request.getfixturevalue("settings"), self.sandbox)

    def connected(self, supplier):
        return xero_connection(self.sandbox, supplier)

    def product(self, supplier):
        return ProductFactory(supplier=supplier, sales_account_code="200", expense_account_code="310",
                              tax_type="OUTPUT2")

    def remote_copies(self, connection, number):
        return [{"status": x["Status"], "total": Decimal(str(x["SubTotal"]))}
                for x in self.sandbox.control.invoices(TENANT_NZ, invoice_number=number)]
