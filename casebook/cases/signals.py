from django.dispatch import Signal

# Sent with ``case_ids=[...]`` after writes that bypass Model.save() and its signals (bulk imports,
# synthetic data), so that whatever is derived from cases (the search index, denormalized
# columns) is brought up to date for exactly those cases.
cases_changed = Signal()
