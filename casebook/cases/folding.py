"""Short to-many relations read inside their parent's own row, as JSON: one query where ``prefetch_related``
takes one per relation (and one more per level below it).

    Case.objects.fold("themes", Fold("sources", Source.objects.select_related("publisher")))

reads each case with its themes and its sources (each with its publisher) in the case's row; afterwards
``case.themes.all()`` answers from memory, exactly as after ``prefetch_related``, with full model instances in
the relation's order. Meant for the few short rows of a page's facts: long lists (a case's figures and
outcomes) stay with ``prefetch_related``, which does not carry every row through JSON.
"""

from django.db import NotSupportedError, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.db.models.query import ModelIterable

# JSON has no exact decimal nor a time zone that SQLite keeps: such columns would come back changed.
UNFOLDABLE = (models.DecimalField, models.DateTimeField, models.TimeField, models.DurationField)


class Fold:
    """A relation to read folded, like ``Prefetch``: ``queryset`` gives its order and, with ``select_related``,
    the objects that come with each row; ``children`` are relations of its rows, folded in turn."""

    def __init__(self, lookup, queryset=None, children=()):
        self.lookup = lookup
        self.queryset = queryset
        self.children = [child if isinstance(child, Fold) else Fold(child) for child in children]

    def rows(self, parent):
        """The subquery that reads this relation of each ``parent`` row as one JSON array."""
        relation = parent._meta.get_field(self.lookup)
        model = relation.related_model
        queryset = model._default_manager.all() if self.queryset is None else self.queryset
        # The name by which the related rows filter on their parent: "case" for Case.participations (the
        # reverse of a foreign key), "cases" for Case.themes (a many-to-many field).
        back = relation.field.name if relation.auto_created else relation.related_query_name()
        queryset = queryset.filter(**{back: OuterRef("pk")})
        related = queryset.query.select_related or {}
        children = {child.lookup: child.rows(model) for child in self.children}
        # modeltranslation's values() would select every column beside the expression; raw_values() does not.
        values = getattr(queryset, "raw_values", queryset.values)
        return FoldedRows(values(item=item(model, related, children)), relation, related, children)


def item(model, related, children, prefix=""):
    """One row as a JSON object: every column, the objects it selects, its folded children."""
    fields = {}
    for field in model._meta.concrete_fields:
        if isinstance(field, UNFOLDABLE):
            raise ValueError(f"{model.__name__}.{field.name} cannot be folded: JSON would change its value.")
        fields[field.attname] = F(prefix + field.attname)
    for name, deeper in related.items():
        fields[name] = item(model._meta.get_field(name).related_model, deeper, {}, f"{prefix}{name}__")
    return JSONObject(**fields, **children)


class FoldedRows(Subquery):
    """A relation's rows for its parent's row, as a JSON array in the relation's order ([] if none).

    The order is the inner query's ORDER BY: PostgreSQL's ARRAY(subquery) keeps it, and SQLite aggregates the rows
    of an ordered FROM subquery in that order (it never flattens such a subquery into an aggregate).
    """

    output_field = models.JSONField()

    def __init__(self, queryset, relation, related, children):
        super().__init__(queryset)
        self.relation = relation
        self.related = related
        self.children = children

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"Folding relations is written for SQLite and PostgreSQL, not {connection.vendor}.")

    def as_sqlite(self, compiler, connection, **extra_context):
        # JSON() marks the text as JSON, so that an object holding it nests the array rather than a string.
        template = "JSON((SELECT JSON_GROUP_ARRAY(JSON(item)) FROM (%(subquery)s) folded))"
        return super().as_sql(compiler, connection, template=template, **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "TO_JSONB(ARRAY(%(subquery)s))"
        return super().as_sql(compiler, connection, template=template, **extra_context)

    def unfold(self, parent, rows):
        """Put the relation's instances where ``prefetch_related`` would: ``parent.<relation>.all()`` reads them."""
        db = parent._state.db
        objects = [build(self.relation.related_model, row, self.related, db) for row in rows]
        for obj, row in zip(objects, rows, strict=True):
            if self.relation.auto_created:  # each row's link back to its parent, as Participation.case
                self.relation.field.set_cached_value(obj, parent)
            for name, child in self.children.items():
                child.unfold(obj, row[name])
        name = self.relation.get_accessor_name() if self.relation.auto_created else self.relation.name
        queryset = getattr(parent, name).get_queryset()
        queryset._result_cache = objects
        queryset._prefetch_done = True
        if not hasattr(parent, "_prefetched_objects_cache"):
            parent._prefetched_objects_cache = {}
        parent._prefetched_objects_cache[name] = queryset


def build(model, row, related, db):
    """A model instance from its JSON object, with the related objects it selects (None for a null key)."""
    if row[model._meta.pk.attname] is None:
        return None
    obj = model.from_db(db, None, [field.to_python(row[field.attname]) for field in model._meta.concrete_fields])
    for name, deeper in related.items():
        field = model._meta.get_field(name)
        field.set_cached_value(obj, build(field.related_model, row[name], deeper, db))
    return obj


class FoldingIterable(ModelIterable):
    """Model instances whose folded relations are unpacked into their prefetch caches as they are read."""

    def __iter__(self):
        folds = {
            name: expression
            for name, expression in self.queryset.query.annotations.items()
            if isinstance(expression, FoldedRows)
        }
        for obj in super().__iter__():
            for name, expression in folds.items():
                expression.unfold(obj, obj.__dict__.pop(name))
            yield obj


class FoldingQuerySet(models.QuerySet):
    def fold(self, *lookups):
        """Read these relations of each row inside the row itself (see the module's docstring)."""
        folds = [lookup if isinstance(lookup, Fold) else Fold(lookup) for lookup in lookups]
        clone = self.annotate(**{f"{fold.lookup}_folded": fold.rows(self.model) for fold in folds})
        clone._iterable_class = FoldingIterable
        return clone
