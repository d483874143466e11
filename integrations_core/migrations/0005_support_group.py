"""The "Support" group (see integrations_core/support.py for what it may do)."""

from django.db import migrations


def create_support_group(apps, schema_editor):
    from integrations_core.support import ensure_support_group

    ensure_support_group(apps)


def remove_support_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Support").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations_core", "0004_api_keys_and_resync_runs"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_support_group, remove_support_group)]
