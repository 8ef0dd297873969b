import filecmp
import shutil
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

FIXTURES_DIR = settings.BASE_DIR / "fixtures"
# In dependency order: each file refers only to records of the files before it (by natural key).
FIXTURES = ["regions.json", "reference.json", "organizations.json", "first-batch.json"]


class Command(BaseCommand):
    help = (
        "Load the reference data and the seed case: copy the images in fixtures/media/ into MEDIA_ROOT, "
        "then loaddata the fixtures. Running it again changes nothing."
    )

    def handle(self, *args, verbosity, **options):
        # Fixtures hold only image paths: the files must be in media storage before the records point at them.
        copied = copy_changed(FIXTURES_DIR / "media", Path(settings.MEDIA_ROOT))
        if verbosity:
            self.stdout.write(f"Copied {copied} new or changed file(s) into {settings.MEDIA_ROOT}.")
        for name in FIXTURES:
            call_command("loaddata", str(FIXTURES_DIR / name), verbosity=verbosity, stdout=self.stdout)


def copy_changed(source, target):
    """Copy every file under ``source`` to the same place under ``target``, unless an identical one is there."""
    copied = 0
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_file() and not (destination.is_file() and filecmp.cmp(path, destination, shallow=False)):
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            copied += 1
    return copied
