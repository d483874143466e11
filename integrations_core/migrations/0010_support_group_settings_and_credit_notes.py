"""The Support group also changes integration settings, approves credit notes and links retailers' contacts
(see integrations_core/support.py)."""

from django.db import migrations


def extend_support_group(apps, schema_editor):
    from integrations_core.support import ensure_support_group

    ensure_support_group(apps)


class Migration(migrations.Migration):
    dependencies = [("integrations_core", "0009_supplier_xero_settings_contacts_payments_credit_notes")]

    operations = [migrations.RunPython(extend_support_group, migrations.RunPython.noop)]
