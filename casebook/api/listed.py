"""The cases a filter set lists, in the listing page's order, for the API and the CSV export."""

from casebook.cases import facets


class ListedIds:
    """The ids of the cases a valid filter set lists, in its order, sliced a page at a time (page_of): read
    as the listing page reads them (facets.page_ids: a search's newest matches ranked, a place's cases along
    its index) where that applies, else from the queryset. Ordered by relevance, the queryset ranks every
    match: for a word in half of 1,000,000 cases that outlasts the statement timeout.

    Counted from the maintained counts where they answer: a search's from its facet panel, which also ranks
    its candidates as the listing page does."""

    def __init__(self, filterset):
        self.filterset = filterset
        self.queryset = filterset.qs.values_list("pk", flat=True)
        self.total = facets.panel(filterset).total if filterset.searching else facets.kept_total(filterset)

    def count(self):
        if self.total is None:
            self.total = self.queryset.count()
        return self.total

    def __getitem__(self, window):
        ids = facets.page_ids(self.filterset, window.start, window.stop - window.start, self.count())
        return self.queryset[window] if ids is None else ids

    def every(self, chunk_size):
        """All of them: a search's as its pages are read; else from the queryset, ``chunk_size`` at a time as
        they are read."""
        if not self.filterset.searching:
            return self.queryset.iterator(chunk_size=chunk_size)
        return self[0 : self.count()]
