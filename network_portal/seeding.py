"""Network-scale data for query budgets, EXPLAIN and load tests (`manage.py seed_scale`).

Each app contributes the steps for its own models in its `<app>/seeding.py`:

    seed_steps.register(SeedStep(name="bookings", default=40_000, run=_bookings))

Steps run in the order they are registered, which follows INSTALLED_APPS, so
an app's steps run after those of the apps below it. A step reads what earlier
steps made from the Seeder (seeder.approved, seeder.sessions, ...), leaves what
later steps need on it, and returns how many rows it created.

Every row is labelled: emails end in @scale.invalid and titles start with
"Scale", and no generated account has a usable password.
"""

import functools
import io
import itertools
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.db import connection, transaction
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from . import caching
from .registry import Registry

SCALE_DOMAIN = "scale.invalid"
BATCH = 2000
# Rows per COPY: large enough that the round trips don't count, small enough to keep memory flat.
COPY_CHUNK = 50_000
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass(frozen=True)
class SeedStep:
    name: str  # also the command's --<name> option, e.g. "bookings"
    default: int  # how many rows the command makes by default
    run: Callable[["Seeder"], int]


seed_steps: Registry[SeedStep] = Registry("Scale-seed steps", key=lambda step: step.name)


def default_volume() -> dict[str, int]:
    return {step.name: step.default for step in seed_steps}


class Seeder:
    def __init__(self, *, volume: dict[str, int], rng: random.Random, prefix: str = ""):
        self.volume = volume
        self.rng = rng
        # Lets a test load a second, larger batch beside the first without clashing slugs.
        self.prefix = prefix
        self.now = timezone.now()

    def run(self) -> Iterator[tuple[str, int]]:
        for step in seed_steps:
            yield step.name, step.run(self)
        # COPY and bulk_create send no model signal: retire every kept fragment here.
        caching.bump(*caching.ALL_FRAGMENTS)

    def when(self, *, days_back: int, days_ahead: int = 0):
        return self.now + timedelta(days=self.rng.randint(-days_back, days_ahead), hours=self.rng.randint(0, 23))

    def event_time(self, n: int, *, days_back: int, days_ahead: int):
        # One event in ten is still to come, so even a small volume has something to book.
        if n % 10 == 0:
            when = self.now + timedelta(days=self.rng.randint(2, days_ahead))
        else:
            when = self.now - timedelta(days=self.rng.randint(2, days_back))
        return when.replace(minute=0, second=0, microsecond=0)

    def insert(self, model, fields: Sequence[str], rows: Iterable[Sequence], *, returning: bool = False) -> list[int]:
        """Write rows of model (each row's values in the order of fields, given by
        attname: "user_id", not "user") and, if asked, return their new primary
        keys in row order. Columns not named take the model's default.

        On PostgreSQL the rows go through COPY: no model instance, no per-value
        ORM conversion and no SQL to parse per row, which is most of the time
        bulk_create takes at national scale. Elsewhere (embedded SQLite) they go
        through bulk_create."""
        if connection.vendor != "postgresql":
            objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
            model.objects.bulk_create(objects, batch_size=BATCH)
            return [obj.pk for obj in objects] if returning else []
        return _copy(model, fields, rows, returning=returning)

    def insert_objects(self, objects: list) -> list:
        """Write unsaved instances of one model, as bulk_create would, and set their
        primary keys: for the rows later steps (and tests) hold as instances."""
        if not objects:
            return objects
        if connection.vendor != "postgresql":
            return type(objects[0]).objects.bulk_create(objects, batch_size=BATCH)
        meta = objects[0]._meta
        fields = [field for field in meta.concrete_fields if field is not meta.pk]
        rows = ([field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields] for obj in objects)
        ids = _copy(type(objects[0]), [field.attname for field in fields], rows, returning=True)
        for obj, pk in zip(objects, ids, strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, connection.alias
        return objects

    @staticmethod
    def spread(total: int, buckets: int) -> list[int]:
        """Split total across buckets as evenly as integers allow."""
        if buckets == 0:
            return []
        base, extra = divmod(total, buckets)
        return [base + (1 if i < extra else 0) for i in range(buckets)]


def _copy(model, fields: Sequence[str], rows: Iterable[Sequence], *, returning: bool) -> list[int]:
    meta = model._meta
    by_attname = {field.attname: field for field in meta.concrete_fields}
    named = [by_attname[name] for name in fields]
    rest = [
        field
        for field in meta.concrete_fields
        if field not in named and field is not meta.pk and field.db_default is NOT_PROVIDED
    ]
    # Defaults that must be fresh per row (a callable such as uuid4 would clash if shared) ...
    per_row = [field for field in rest if (field.has_default() and callable(field.default)) or _is_auto_now(field)]
    # ... and the rest, the same text on every line.
    constant = [field for field in rest if field not in per_row]
    leading = [*([meta.pk] if returning else []), *named, *per_row]
    defaults = "\t".join(_copy_text(field.get_default()) for field in constant)
    suffix = ("\t" if leading and constant else "") + defaults
    columns = ", ".join(_quoted(field.column) for field in [*leading, *constant])
    sql = f"COPY {_quoted(meta.db_table)} ({columns}) FROM STDIN"
    new_ids = []
    rows = iter(rows)
    with transaction.atomic(), connection.cursor() as cursor, _without_keys_and_indexes(cursor, meta.db_table):
        while chunk := list(itertools.islice(rows, COPY_CHUNK)):
            ids = _reserve_ids(cursor, meta, len(chunk)) if returning else []
            lines = []
            for n, row in enumerate(chunk):
                values = ([ids[n]] if returning else []) + list(row) + [_default(field) for field in per_row]
                lines.append("\t".join(map(_copy_text, values)) + suffix)
            cursor.copy_expert(sql, io.StringIO("\n".join(lines) + "\n"))
            new_ids += ids
    return new_ids


@contextmanager
def _without_keys_and_indexes(cursor, table: str) -> Iterator[None]:
    """Drop the table's foreign keys and plain indexes while it loads, then put them back.

    A foreign key checks each new row by a lookup at commit, and an index takes
    each row as it comes: re-adding the key checks the whole table in one join,
    and building the index sorts once. Both come back under their own names and
    definitions, and the key is validated, so the data is as checked as before."""
    # ALTER TABLE refuses to run while checks are still pending on a table it touches.
    connection.check_constraints()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
        [_quoted(table)],
    )
    keys = cursor.fetchall()
    cursor.execute(
        """SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
           WHERE indrelid = %s::regclass
             AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid AND conrelid = indrelid)""",
        [_quoted(table)],
    )
    indexes = cursor.fetchall()
    for name, _definition in keys:
        cursor.execute(f"ALTER TABLE {_quoted(table)} DROP CONSTRAINT {_quoted(name)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, definition in keys:
        cursor.execute(f"ALTER TABLE {_quoted(table)} ADD CONSTRAINT {_quoted(name)} {definition}")


def _reserve_ids(cursor, meta, count: int) -> list[int]:
    # Taken from the table's own sequence, so later inserts (and a second seeding) never clash.
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [_quoted(meta.db_table), meta.pk.column, count],
    )
    return [pk for (pk,) in cursor.fetchall()]


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _is_auto_now(field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _default(field):
    return timezone.now() if _is_auto_now(field) else field.get_default()


def _copy_text(value) -> str:
    """One value in COPY's text format."""
    kind = type(value)
    text = _TEXT.get(kind)
    if text is None:
        text = _TEXT[kind] = _text_for(kind)
    return text(value)


def _text_for(kind: type) -> Callable[[object], str]:
    if issubclass(kind, str):  # choices too
        return _str_text
    if issubclass(kind, bool):
        return _bool_text
    if issubclass(kind, datetime):
        return _datetime_text
    if issubclass(kind, int | float | Decimal | date | UUID):
        return str
    raise TypeError(f"seed_scale cannot COPY a {kind.__name__} value.")


def _str_text(value: str) -> str:
    # Nearly every value is printable without a backslash, and needs no escaping.
    return value if value.isprintable() and "\\" not in value else value.translate(COPY_ESCAPES)


def _bool_text(value: bool) -> str:
    return "t" if value else "f"


@functools.lru_cache(maxsize=1 << 16)
def _datetime_text(value: datetime) -> str:
    # Generated times repeat (a day and an hour back from now), and formatting one is slow.
    return str(value)


_TEXT: dict[type, Callable[[object], str]] = {type(None): lambda value: "\\N"}
