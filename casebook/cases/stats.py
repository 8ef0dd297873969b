"""Figures for the statistics page (/outcomes/) and the case page's before → after chart."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from . import charts
from .counts import metric_totals
from .models import Metric, Outcome


@dataclass
class MetricSummary:
    """A metric's outcomes across published cases.

    For quantities ``before`` and ``after`` are sums over the outcomes that have a baseline; for ranks,
    where a sum means nothing, the average place. ``improved`` and ``worse`` follow the metric's good way
    (a lower price, a better rank).
    """

    metric: Metric
    cases: int
    outcomes: int
    with_baseline: int
    total: Decimal  # every outcome's latest value (quantities only)
    before: Decimal | None
    after: Decimal | None
    improved: int
    worse: int
    unchanged: int
    approximate: int

    @property
    def is_rank(self):
        return self.metric.kind == Metric.Kind.RANK

    def display(self, value):
        if value is None:
            return ""
        if self.is_rank:
            value = Decimal(value).quantize(Decimal(1))
        return self.metric.format_value(value)

    @property
    def total_display(self):
        return self.display(self.total)

    @property
    def before_display(self):
        return self.display(self.before)

    @property
    def after_display(self):
        return self.display(self.after)

    @property
    def change(self):
        """The change from ``before`` to ``after`` in the words of an outcome's change (“−64%”, “647 places up”)."""
        if self.before is None:
            return ""
        return comparison(self.metric, self.before, self.after).change


def comparison(metric, before, after):
    """An unsaved outcome, to reuse Outcome's wording of a change."""
    if metric.kind == Metric.Kind.RANK:
        before, after = Decimal(before).quantize(Decimal(1)), Decimal(after).quantize(Decimal(1))
    return Outcome(metric=metric, value=after, baseline_value=before)


def metric_summaries():
    """One summary per metric that published cases report, in the metrics' order."""
    by_metric = metric_totals()
    summaries = []
    for metric in Metric.objects.filter(pk__in=by_metric):
        row = by_metric[metric.pk]
        rank = metric.kind == Metric.Kind.RANK
        better_up = metric.higher_is_better and not rank
        before, after = (row["avg_before"], row["avg_after"]) if rank else (row["sum_before"], row["sum_after"])
        summaries.append(
            MetricSummary(
                metric=metric,
                cases=row["cases"],
                outcomes=row["outcomes"],
                with_baseline=row["with_baseline"],
                total=row["total"],
                before=None if before is None else Decimal(before),
                after=None if after is None else Decimal(after),
                improved=row["up"] if better_up else row["down"],
                worse=row["down"] if better_up else row["up"],
                unchanged=row["with_baseline"] - row["up"] - row["down"],
                approximate=row["approximate"],
            )
        )
    return summaries


# Charts


def standing(value, worst):
    """A rank drawn as a bar: 1st fills the bar, ``worst`` barely shows. Longer is better, as for a quantity
    where more is better; the label gives the rank itself."""
    return worst - Decimal(value) + 1


def improvement(metric, before, after):
    """True when ``before`` → ``after`` went the metric's good way (a rank or a price down…); None if unchanged."""
    before, after = Decimal(before), Decimal(after)
    if before == after:
        return None
    better_up = metric.higher_is_better and metric.kind != Metric.Kind.RANK
    return (after > before) == better_up


def after_label(text, change, improved):
    """“2021: RMB 5.8 (−64%, better)”: the verdict in words too, not only in the bar's colour."""
    if not change:
        return text
    if improved is None:
        return _("%(text)s (%(change)s)") % {"text": text, "change": change}
    verdict = _("better") if improved else _("worse")
    return _("%(text)s (%(change)s, %(verdict)s)") % {"text": text, "change": change, "verdict": verdict}


def before_after_rows(metric, before, after, before_text, after_text, improved):
    """Two bars on one scale, quantities from zero, ranks as standing (longer is better); the after bar in the
    colour of its verdict."""
    before, after = Decimal(before), Decimal(after)
    if metric.kind == Metric.Kind.RANK:
        worst = max(before, after)
        before, after, largest = standing(before, worst), standing(after, worst), worst
    else:
        largest = max(before, after)
    css = {True: "bar-better", False: "bar-worse"}.get(improved, "bar-after")
    return [charts.bar(before_text, before, largest, css="bar-before"), charts.bar(after_text, after, largest, css=css)]


def outcome_chart(outcomes, chart_id="outcomes-chart"):
    """The case page's chart: each outcome with a baseline as a pair of bars, before and after; None if none has one."""
    compared = [outcome for outcome in outcomes if outcome.baseline_value is not None]
    if not compared:
        return None
    rows = []
    for outcome in compared:
        after = _("%(year)s: %(value)s") % {"year": outcome.year, "value": outcome.display_value}
        rows.append(charts.heading(outcome.indicator))
        rows.extend(
            before_after_rows(
                outcome.metric,
                outcome.baseline_value,
                outcome.value,
                _("%(year)s: %(value)s") % {"year": outcome.baseline_year, "value": outcome.display_baseline},
                after_label(after, outcome.change, outcome.improved),
                outcome.improved,  # as the table says it
            )
        )
    description = "; ".join(
        _("%(indicator)s: %(before)s in %(before_year)s, %(after)s in %(after_year)s, %(change)s")
        % {
            "indicator": outcome.indicator,
            "before": outcome.display_baseline,
            "before_year": outcome.baseline_year,
            "after": outcome.display_value,
            "after_year": outcome.year,
            "change": outcome.change,
        }
        for outcome in compared
    )
    return charts.bar_chart(chart_id, _("Outcomes before and after"), description, rows)


def count_chart(chart_id, title, items):
    """Bars for ``items`` (name, count), in the order given."""
    items = list(items)
    largest = max((count for _name, count in items), default=0)
    rows = [charts.bar(f"{name}: {count:,}", count, largest) for name, count in items]
    description = "; ".join(f"{name}: {count:,}" for name, count in items)
    return charts.bar_chart(chart_id, title, description, rows)


def metric_chart(summary):
    """Before → after across cases, and how many outcomes improved, for one metric; None without baselines."""
    if summary.before is None:
        return None
    words = {
        "before": summary.before_display,
        "after": summary.after_display,
        "improved": summary.improved,
        "worse": summary.worse,
        "unchanged": summary.unchanged,
    }
    if summary.is_rank:
        before, after = _("Average before: %(before)s") % words, _("Average after: %(after)s") % words
    else:
        before, after = _("Total before: %(before)s") % words, _("Total after: %(after)s") % words
    improved = improvement(summary.metric, summary.before, summary.after)
    rows = before_after_rows(
        summary.metric, summary.before, summary.after, before, after_label(after, summary.change, improved), improved
    )
    rows.append(
        charts.split(
            _("Improved: %(improved)s, worse: %(worse)s, unchanged: %(unchanged)s") % words,
            [(summary.improved, "bar-better"), (summary.unchanged, "bar-before"), (summary.worse, "bar-worse")],
        )
    )
    description = "; ".join(" ".join(row.lines) for row in rows)
    return charts.bar_chart(f"metric-{summary.metric.slug}", str(summary.metric.name), description, rows)
