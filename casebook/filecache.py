"""The production cache without Redis: Django's file cache, culled now and then instead of on every write.

Django's FileBasedCache lists its whole folder on each ``set`` to see whether it has reached MAX_ENTRIES (and
its documentation advises overriding ``_cull`` for many files). Under ``make load`` the folder soon holds
thousands of entries (a panel and a page for each filter state, a card for each case shown), and that listing
took a fifth of the workers' time. Here each process looks once every CULL_EVERY writes, so the folder may
overshoot MAX_ENTRIES by that many entries per process before it is culled.
"""

import itertools

from django.core.cache.backends.filebased import FileBasedCache

# One count per process, shared by the cache objects Django makes for each thread.
_writes = itertools.count(1)


class FileCache(FileBasedCache):
    def __init__(self, location, params):
        super().__init__(location, params)
        self.cull_every = int(params.get("OPTIONS", {}).get("CULL_EVERY", 100))

    def _cull(self):
        if next(_writes) % self.cull_every == 0:
            super()._cull()
