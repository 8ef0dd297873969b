import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from ...importer import Importer


class Command(BaseCommand):
    help = (
        "Import a file in the interchange format (docs/interchange-format.md): every record is checked first, "
        "then all are written in one transaction, or none. Runs as a maintainer: statuses in the file are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def handle(self, *args, **options):
        # Reports in English, as documented (docs/interchange-format.md); the admin's import speaks the user's language.
        with translation.override("en"):
            self.run(**options)

    def run(self, *, path, dry_run, verbosity, **options):
        progress = self.progress if verbosity and sys.stderr.isatty() else None
        try:
            report = Importer(path, display_name=path, progress=progress).run(dry_run=dry_run)
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}") from error
        if progress:
            sys.stderr.write("\n")
        if not report.ok:
            for line in report.problem_lines():
                self.stderr.write(line)
            raise CommandError(report.summary())
        if verbosity:
            for line in report.count_lines():
                self.stdout.write(line)
        self.stdout.write(report.summary())

    @staticmethod
    def progress(done, total):
        percent = done * 100 // total if total else 100
        sys.stderr.write(f"\rCases: {done:,}/{total:,} ({percent}%)")
        sys.stderr.flush()
