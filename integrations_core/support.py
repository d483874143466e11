"""The "Support" group: staff who look after suppliers' syncs. Reading every supplier (`support_any_supplier`)
and acting are separate permissions: they read everything, and act only where they are given the action's
permission: re-sync and resolve (`change_invoicesync`), re-sync runs (`add_resyncrun`), product codes
(`change_product`), API keys (`add`/`change_apikey`), a connection's integration settings
(`change_settings_connection`), credit note approval (`change_creditnote`) and retailers' contact links
(`add`/`change_contactlink`). Connections and invoices they may otherwise only view: in the
admin and through the API alike (a session's API write needs the permission for that write, see
`api.permissions.StaffMayWrite`), they do not connect or disconnect, upsert, mark paid or cancel. The admin never
shows a connection's credentials to anyone."""

SUPPORT_GROUP = "Support"
SUPPORT_PERMISSIONS = {
    "supplier": ["view", "support_any_supplier"],
    "customer": ["view"],
    "product": ["view", "change"],
    "invoice": ["view"],
    "invoiceline": ["view"],
    "invoicesync": ["view", "change"],
    "syncattempt": ["view"],
    "trigger": ["view"],
    "connection": ["view", "change_settings"],
    "settingschange": ["view"],
    "contactlink": ["view", "add", "change"],
    "invoicepayment": ["view"],
    "paymentrecord": ["view"],
    "creditnote": ["view", "change"],
    "invoicedocument": ["view"],
    "remoteevent": ["view"],
    "resyncrun": ["view", "add"],
    "apikey": ["view", "add", "change"],
}


def ensure_support_group(apps=None):
    """Create the group with its permissions (idempotent). `apps`: a migration's app registry, or the live one."""
    from django.apps import apps as live_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or live_apps
    app_config = apps.get_app_config("integrations_core")
    if apps is not live_apps:  # a migration's registry: permissions are normally made after all migrations
        app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    if apps is not live_apps:
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    codenames = [action if action == "support_any_supplier" else f"{action}_{model}"
                 for model, actions in SUPPORT_PERMISSIONS.items() for action in actions]
    group.permissions.add(*Permission.objects.filter(content_type__app_label="integrations_core",
                                                     codename__in=codenames))
    return group
