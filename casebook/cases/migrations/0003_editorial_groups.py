from django.contrib.auth.management import create_permissions
from django.db import migrations

# Everything that describes a case: (app label, model name, actions). Editors may delete only the
# rows a case form adds and removes in its inlines; deleting a case would be a way to unpublish it.
EDITED = [
    ("cases", "case", ("add", "change", "view")),
    ("cases", "figure", ("add", "change", "delete", "view")),
    ("cases", "outcome", ("add", "change", "delete", "view")),
    ("cases", "participation", ("add", "change", "delete", "view")),
    ("cases", "collectionentry", ("add", "change", "delete", "view")),
    ("cases", "assistancetype", ("add", "change", "view")),
    ("cases", "theme", ("add", "change", "view")),
    ("cases", "metric", ("add", "change", "view")),
    ("cases", "collection", ("add", "change", "view")),
    ("cases", "initiative", ("add", "change", "view")),
    ("cases", "source", ("add", "change", "view")),
    ("cases", "caseredirect", ("view",)),
    ("regions", "region", ("add", "change", "view")),
    ("organizations", "organization", ("add", "change", "view")),
    ("organizations", "commissioner", ("add", "change", "view")),
    ("organizations", "posting", ("add", "change", "delete", "view")),
]
GROUPS = {
    "Editors": [],
    "Publishers": [("cases", "publish_case")],
}


def create_groups(apps, schema_editor):
    # On an empty database the permissions are only created after all migrations (post_migrate):
    # create them now. create_permissions skips the ones that exist, so this runs safely twice.
    for label in ("cases", "regions", "organizations"):
        app_config = apps.get_app_config(label)
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True  # a migration state's app configs have none
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    edited = [(app_label, f"{action}_{model}") for app_label, model, actions in EDITED for action in actions]
    for name, extra in GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        for app_label, codename in edited + extra:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cases", "0002_workflow_history_safe_figures"),
        ("organizations", "0001_initial"),
        ("regions", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
