from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from casebook.cases.models import Case, Collection
from casebook.regions.models import Region

from ...export import export, selected_cases


class Command(BaseCommand):
    help = (
        "Write cases in the interchange format (docs/interchange-format.md) with their figure files. "
        "OUT is a folder (OUT/cases.json and OUT/figures/) or a .json file (figures/ beside it). "
        "Without filters the whole casebook is written, every reference record included."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", metavar="OUT")
        parser.add_argument("--region", action="append", default=[], metavar="CODE_OR_SLUG", help="and its subtree")
        parser.add_argument("--collection", action="append", default=[], metavar="SLUG")
        parser.add_argument("--status", action="append", default=[], choices=Case.Status.values)

    def handle(self, *args, out, region, collection, status, verbosity, **options):
        regions = [self.find(Region, Q(code=value) | Q(slug=value), "region", value) for value in region]
        collections = [self.find(Collection, Q(slug=value), "collection", value) for value in collection]
        everything = not (regions or collections or status)
        cases = selected_cases(regions, collections, status)
        counts, json_path = export(out, cases, everything=everything)
        if verbosity:
            listed = ", ".join(f"{count} {key.replace('_', ' ')}" for key, count in counts.items())
            self.stdout.write(f"Wrote {json_path}: {listed}.")

    def find(self, model, condition, label, value):
        found = model.objects.filter(condition).first()
        if found is None:
            raise CommandError(f'No {label} "{value}".')
        return found
