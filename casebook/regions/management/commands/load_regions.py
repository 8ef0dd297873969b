import time

from django.core.management.base import BaseCommand, CommandError

from casebook.regions.divisions import DIVISIONS_FILE, DivisionFileError, load_divisions, read_divisions


class Command(BaseCommand):
    help = (
        "Load the administrative divisions of mainland China (province, prefecture and county levels) from "
        "fixtures/divisions/china-divisions.csv. Running it again changes nothing; existing regions keep "
        "their slugs and English names."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DIVISIONS_FILE), help="The divisions CSV (default: %(default)s).")

    def handle(self, *args, file, verbosity, **options):
        started = time.perf_counter()
        try:
            rows = read_divisions(file)
        except DivisionFileError as error:
            raise CommandError(f"{error}\n{len(error.problems)} problem(s); nothing was loaded.") from None
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        result = load_divisions(rows)
        if verbosity:
            for code, slug in result.renamed_slugs:
                self.stdout.write(f"{code}: slug taken by another region; created as {slug}")
            elapsed = time.perf_counter() - started
            self.stdout.write(f"Regions: {result} ({len(rows)} divisions in the file, {elapsed:.2f} s).")
