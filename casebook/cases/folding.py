"""Short to-many relations read inside their parent's own row, as JSON: one query where ``prefetch_related``
takes one per relation (and one more per level below it).

    SOURCES = Fold("sources", "publisher")  # once, at import
    Case.objects.fold(Fold("themes"), SOURCES)

reads each case with its themes and its sources (each with its publisher, as ``select_related`` would) in the
case's row; afterwards ``case.themes.all()`` answers from memory, exactly as after ``prefetch_related``, with
full model instances in the relation's own order (its ``Meta.ordering``). Meant for the few short rows of a
page's facts: long lists (a case's figures and outcomes) stay with ``prefetch_related``, unless only their
first rows are read.

A fold can also put its instances in a plain list (``to_attr``, as ``Prefetch`` does: cheaper to build than a
related manager's cache, which costs a queryset per row), keep only the first rows (``limit``), and fold into the
case each row links to (``fold(..., through="case")`` on participations, as ``prefetch_related("case__...")``).

A fold builds its SQL once per language and database and keeps it: building the JSON of every column anew
costs more than the queries it saves. So define folds once, and read a folding queryset (do not nest it in
another query: its SQL names the parent's table).
"""

from django.db import NotSupportedError, connections, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONObject
from django.db.models.query import ModelIterable
from django.utils import translation

# JSON has no exact decimal nor a time zone that SQLite keeps: such columns would come back changed.
UNFOLDABLE = (models.DecimalField, models.DateTimeField, models.TimeField, models.DurationField)


class Fold:
    """A relation to read folded, with the objects each of its rows selects (``select_related`` lookups) and
    ``children``: relations of its rows, folded in turn. ``to_attr`` names a list to put the instances in
    instead of the relation's cache; ``limit`` keeps that many rows, the first in the relation's order."""

    def __init__(self, lookup, *select_related, children=(), to_attr=None, limit=None):
        self.lookup = lookup
        self.select_related = select_related
        self.children = children
        self.to_attr = to_attr
        self.limit = limit
        self.name = to_attr or lookup
        self.built = {}

    def expression(self, model, using, through=None):
        """The relation of each row of ``model`` as a JSON array, for ``annotate()``; with ``through`` (the name
        of a foreign key of ``model``), the relation of the row that key points to."""
        connection = connections[using]
        # Per language too: the order of translated names follows it.
        key = (connection.alias, translation.get_language(), model._meta.label, through)
        if key not in self.built:
            parent = model._meta.get_field(through).related_model if through else model
            rows = self.rows(parent, OuterRef(through or "pk"))
            query = model._base_manager.all().query
            sql, params = query.get_compiler(connection=connection).compile(rows.resolve_expression(query))
            self.built[key] = FoldedSQL(sql, params, rows, through)
        return self.built[key]

    def rows(self, parent, parent_pk):
        if self.to_attr and self.to_attr in {field.name for field in parent._meta.get_fields()}:
            raise ValueError(f"{self.to_attr} is a field of {parent.__name__}: name the list otherwise.")
        relation = parent._meta.get_field(self.lookup)
        model = relation.related_model
        queryset = model._default_manager.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        # The name by which the related rows filter on their parent: "case" for Case.participations (the
        # reverse of a foreign key), "cases" for Case.themes (a many-to-many field).
        back = relation.field.name if relation.auto_created else relation.related_query_name()
        queryset = queryset.filter(**{back: parent_pk})
        related = queryset.query.select_related or {}
        children = {child.name: child.rows(model, OuterRef("pk")) for child in self.children}
        # modeltranslation's values() would select every column beside the expression; raw_values() does not.
        values = getattr(queryset, "raw_values", queryset.values)(item=item(model, related, children))
        if self.limit is not None:
            values = values[: self.limit]
        return FoldedRows(values, relation, related, children, self.to_attr)


class FoldedSQL(RawSQL):
    """A fold's SQL as built (see ``Fold.expression``), with what its rows become and where they go."""

    def __init__(self, sql, params, rows, through):
        super().__init__(sql, params, output_field=models.JSONField())
        self.rows = rows
        self.through = through


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

    def __init__(self, queryset, relation, related, children, to_attr):
        super().__init__(queryset)
        self.relation = relation
        self.related = related
        self.children = children
        self.to_attr = to_attr

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
        """Put the relation's instances where ``prefetch_related`` would: ``parent.<relation>.all()`` reads them,
        or the list ``parent.<to_attr>`` holds them."""
        db = parent._state.db
        objects = [build(self.relation.related_model, row, self.related, db) for row in rows]
        for obj, row in zip(objects, rows, strict=True):
            if self.relation.auto_created:  # each row's link back to its parent, as Participation.case
                self.relation.field.set_cached_value(obj, parent)
            for name, child in self.children.items():
                child.unfold(obj, row[name])
        if self.to_attr:
            setattr(parent, self.to_attr, objects)
            return
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
    obj = instance(
        model, db, {field.attname: field.to_python(row[field.attname]) for field in model._meta.concrete_fields}
    )
    for name, deeper in related.items():
        field = model._meta.get_field(name)
        field.set_cached_value(obj, build(field.related_model, row[name], deeper, db))
    return obj


def instance(model, db, values):
    """What ``model.from_db()`` makes of a whole row, without calling ``Model.__init__``: a page of cards folds
    160 rows, and their constructors (the pre_init and post_init signals, modeltranslation's wrapper, a setattr
    per field) cost more than its query. For a whole row that constructor only stores each value under its
    attname (modeltranslation's descriptors too, while it initializes), and no model folded here has a receiver
    for those signals (an ImageField connects one only with a width_field or height_field)."""
    obj = model.__new__(model)
    obj.__dict__.update(values)
    obj._state = ModelState()
    obj._state.adding = False
    obj._state.db = db
    return obj


class FoldingIterable(ModelIterable):
    """Model instances whose folded relations are unpacked into their prefetch caches as they are read."""

    def __iter__(self):
        folds = {
            name: expression
            for name, expression in self.queryset.query.annotations.items()
            if isinstance(expression, FoldedSQL)
        }
        for obj in super().__iter__():
            for name, expression in folds.items():
                parent = getattr(obj, expression.through) if expression.through else obj
                expression.rows.unfold(parent, obj.__dict__.pop(name))
            yield obj


class FoldingQuerySet(models.QuerySet):
    def fold(self, *folds, through=None):
        """Read these relations (``Fold``s) of each row inside the row itself (see the module's docstring); with
        ``through``, a foreign key the rows select (``select_related``), the relations of the row it points to."""
        clone = self.annotate(
            **{f"{fold.name}_folded": fold.expression(self.model, self.db, through) for fold in folds}
        )
        clone._iterable_class = FoldingIterable
        return clone
