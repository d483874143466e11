"""The "Support" group: staff who look after suppliers' syncs. They can see everything and act (re-sync,
resolve, fix product codes, manage API keys), but credentials are not theirs: a connection they may only view,
and the admin never shows a connection's credentials to anyone."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPPORT_PERMISSIONS = {
    "supplier": ["view", "support_any_supplier"],
    "customer": ["view"],
    "product": ["view", "change"],
    "invoice": ["view"],
    "invoiceline": ["view"],
    "invoicesync": ["view", "change"],
    "syncattempt": ["view"],
    "trigger": ["view"],
    "connection": ["view"],
    "remoteevent": ["view"],
    "resyncrun": ["view", "add"],
    "apikey": ["view", "add", "change"],
}


def _codename(model: str, action: str) -> str:
    return action if action == "support_any_supplier" else f"{action}_{model}"


def create_support_group(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs them now.
    app_config = apps.get_app_config("integrations_core")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Support")
    for model, actions in SUPPORT_PERMISSIONS.items():
        for action in actions:
            group.permissions.add(Permission.objects.get(content_type__app_label="integrations_core",
                                                         codename=_codename(model, action)))


def remove_support_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Support").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations_core", "0004_api_keys_and_resync_runs"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_support_group, remove_support_group)]
