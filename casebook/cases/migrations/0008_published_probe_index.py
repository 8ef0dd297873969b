from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_newest_cases_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["id", "status", "published_at"], name="case_published_probe_idx"),
        ),
    ]
