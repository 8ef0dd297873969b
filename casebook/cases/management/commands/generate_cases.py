import time

from django.core.management.base import BaseCommand, CommandError

from casebook.cases.maintenance import refresh_planner_statistics
from casebook.cases.synthetic import generate


class Command(BaseCommand):
    help = (
        "Create COUNT synthetic cases (slugs start with 'synthetic-', titles with 【示例】/[Synthetic]) for tests "
        "and benchmarks. The same --seed gives the same data. Never part of `make run`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="How many cases to create.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default: %(default)s).")
        parser.add_argument(
            "--draft-share", type=float, default=0.1, help="Share of drafts, 0 to 1 (default: %(default)s)."
        )
        parser.add_argument("--replace", action="store_true", help="Delete existing synthetic cases first.")

    def handle(self, *args, count, seed, draft_share, replace, verbosity, **options):
        if count < 0:
            raise CommandError("--count: must be 0 or more.")
        if not 0 <= draft_share <= 1:
            raise CommandError("--draft-share: must be between 0 and 1.")
        started = time.perf_counter()
        log = self.stdout.write if verbosity > 1 else None
        try:
            ids = generate(count, seed, draft_share=draft_share, replace=replace, log=log)
        except ValueError as error:
            raise CommandError(str(error)) from None
        refresh_planner_statistics(vacuum=True)
        if verbosity:
            self.stdout.write(
                f"Created {len(ids)} synthetic cases (seed {seed}) in {time.perf_counter() - started:.1f} s."
            )
