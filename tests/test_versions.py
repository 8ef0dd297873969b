"""One version of the published data keys every cached figure: counts, facet panels and listing cards."""

import pytest

from casebook.cases.versions import cached, data_changed, data_version

from .factories import make_case, make_metric, make_outcome

pytestmark = pytest.mark.django_db


def test_a_figure_cached_before_a_change_commits_is_not_read_after_it(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        data_changed()
        # Another process reads the data as it was before the commit, and caches its figure under the new version.
        assert cached("cases", lambda: "as before the commit") == "as before the commit"
    assert cached("cases", lambda: "as committed") == "as committed"


def test_outcomes_and_deleted_cases_make_a_new_version():
    case = make_case()
    before = data_version()
    outcome = make_outcome(case, metric=make_metric())
    assert data_version() != before
    before = data_version()
    outcome.delete()
    assert data_version() != before
    before = data_version()
    case.delete()
    assert data_version() != before
