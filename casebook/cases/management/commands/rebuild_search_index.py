import time

from django.core.management.base import BaseCommand

from casebook.cases.indexing import BATCH, recount_totals, reindex
from casebook.cases.maintenance import refresh_planner_statistics
from casebook.cases.models import Case, KeptSearch


class Command(BaseCommand):
    help = (
        "Rebuild the search index and the facet index of every case (or of the cases given by id). "
        "Saves, deletes and the cases_changed signal keep them current; run this after restoring a database "
        "or changing the tokenizer."
    )

    def add_arguments(self, parser):
        parser.add_argument("case_ids", nargs="*", type=int, help="Only these cases (ids); all by default.")
        parser.add_argument("--batch-size", type=int, default=BATCH, help=f"Cases per transaction (default {BATCH}).")

    def handle(self, *args, case_ids, batch_size, verbosity, **options):
        started = time.monotonic()
        ids = case_ids or list(Case.objects.values_list("pk", flat=True))
        KeptSearch.objects.all().delete()  # dropped by the recount anyway: not worth checking at every batch
        count = reindex(ids, batch_size=max(1, batch_size))
        recount_totals()
        refresh_planner_statistics(vacuum=True)
        if verbosity:
            self.stdout.write(f"Indexed {count} case(s) in {time.monotonic() - started:.1f} s.")
