from casebook import filecache
from casebook.filecache import FileCache


def folder_cache(tmp_path, **options):
    return FileCache(str(tmp_path), {"OPTIONS": options})


def test_the_folder_is_listed_once_every_cull_every_writes(tmp_path, monkeypatch):
    cache = folder_cache(tmp_path, MAX_ENTRIES=1000, CULL_EVERY=10)
    listings = []
    listed = FileCache._list_cache_files
    monkeypatch.setattr(FileCache, "_list_cache_files", lambda self: listings.append(1) or listed(self))
    for n in range(50):
        cache.set(f"key-{n}", n)
    assert len(listings) == 5  # Django's FileBasedCache lists the folder on each of the 50 writes
    assert [cache.get(f"key-{n}") for n in range(50)] == list(range(50))


def test_a_full_folder_is_still_culled(tmp_path, monkeypatch):
    monkeypatch.setattr(filecache, "_writes", iter(range(1, 1000)))
    cache = folder_cache(tmp_path, MAX_ENTRIES=20, CULL_EVERY=10, CULL_FREQUENCY=2)
    for n in range(200):
        cache.set(f"key-{n}", n)
        # At most CULL_EVERY writes past MAX_ENTRIES before a look culls half of the folder.
        assert len(cache._list_cache_files()) < 20 + 10
    assert cache.get("key-199") == 199
