"""An OData list as the archive answers it: flat rows with the page's columns, filtered, sorted and paged.

A list is a fixed, seeded collection of rows (MIN_ROWS..MAX_ROWS of them, ids drawn like every generated id)
overlaid with the session's stored records of the list's entity, when the state knows it. A row's columns are
the ones the page's sample shows (or `$select` asks for), plus `PrimaryKey` and `EntityName`. Each value is
the entity's record's value where the column names one of its properties (so a list row and `GET /X/{id}`
agree), else a realistic value for the column's name, drawn from a seed made of the entity, the row's id and
the column: the same row has the same name on every page, in every list, with any `$select`.

A `$filter` is met by the generated rows, not only applied to them: each row is changed (predicates.satisfy)
until it matches, so `name begins 'S'` lists names that begin with S; stored rows are filtered as they are.
"""
from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import math
import random
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timezone
from typing import Any, Protocol
from urllib.parse import unquote_plus

from ..errors import SpecError
from ..fakedata import DataFactory
from ..spec import RefFollower, declared_type
from ..seeding import stable_seed
from ..state.entities import CREATED_ID_START
from ..state.records import JsonRecord
from ..state.store import key_order
from .filter import All, Any_, Condition, Expr, conditions, to_text
from .predicates import NO_FIT, Tries, as_moment, column_key, find_column, matches, satisfy
from .query import ODataQuery

MIN_ROWS, MAX_ROWS = 40, 160
MAX_COLUMN_MEMOS = 2048  # columns remembered per list (their generator, record path, whether one is the id)
CELL_CACHE_SIZE = 65_536  # drawn cells remembered per list: a few hundred rows of a few columns, many times over
LIST_CACHE_SIZE = 16  # generated row sets per list (by filter, columns, path and day): a client paging through
LIST_TRIES = 20_000  # values drawn again, at most, while a list's rows are made to meet a filter
STORED_ROW_CACHE_SIZE = 1024  # stored records' rows, by the record's text
ID_RANGE = (1, 99_999)  # what the data generator draws ids from (a created record's id is above it)
PRIMARY_KEY, ENTITY_NAME = "PrimaryKey", "EntityName"
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_PARAM = re.compile(r"^\{[^{}]+\}$")
_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:]{1,255}$")
_DATE_HINTS = ("date", "registered", "updated", "created", "modified", "time", "deadline", "birth", "when")
_NUMBER_HINTS = ("amount", "price", "cost", "earning", "turnover", "rate", "value")
_DISPLAY_KEYS = ("Value", "Name", "FullName", "Text", "Description", "Id")
# What `name` means in a row of these entities: a person's name, a company's name.
_NAME_OF = {"person": "fullName", "associate": "fullName", "user": "fullName", "contact": "companyName"}

Record = Mapping[str, Any]


def entity_noun(path: str) -> str:
    """The entity a list's rows are: the last literal segment, singular (`/Person/{id}/Sales` -> `Sale`)."""
    literal = [s for s in path.split("/") if s and not _PARAM.match(s)]
    noun = literal[-1] if literal else "row"
    if noun.endswith("ies") and len(noun) > 4:
        return noun[:-3] + "y"
    if noun.endswith("s") and not noun.endswith("ss") and len(noun) > 2:
        return noun[:-1]
    return noun


def _camel(noun: str) -> str:
    return noun[:1].lower() + noun[1:]


_INTEGER = {"type": "integer", "format": "int32"}
_DATE_TIME = {"type": "string", "format": "date-time"}
_NUMBER = {"type": "number"}
_BOOLEAN = {"type": "boolean"}
_STRING = {"type": "string"}


def column_schema(column: str) -> dict[str, Any]:
    """The type a column's name suggests, for a column no sample or record shows (one shared schema per type:
    nobody may change it)."""
    last = re.split(r"[/.]", column)[-1]
    low = last.lower()
    if low == "id" or low.endswith(("id", "count", "number", "no")) or low == "primarykey":
        return _INTEGER
    if any(h in low for h in _DATE_HINTS):
        return _DATE_TIME
    if low.endswith(("percent", "probability")):
        return _INTEGER
    if low.endswith(_NUMBER_HINTS):
        return _NUMBER
    if re.match(r"^(is|has|can)[A-Z_]", last) or low in ("active", "deleted", "completed", "done", "private"):
        return _BOOLEAN
    return _STRING


def _schema_of(value: Any) -> dict[str, Any] | None:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer", "format": "int32"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        looks_dated = len(value) >= 10 and value[:4].isdigit() and value[4:5] == "-"
        return {"type": "string", "format": "date-time"} if looks_dated else {"type": "string"}
    return None


_INT_RANGES = {"int32": 2**31, "int64": 2**63}


def fit_schema(schema: Mapping[str, Any], value: Any) -> Any:
    """`value` as a column of this schema holds it, or NO_FIT: a filter may ask for anything (`state eq
    'Bogus'`, `isSystemTask eq 'maybe'`, `registered eq 'abc'`), and what the mock lists stays in the schema."""
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return next((e for e in enum if e == value or str(e).casefold() == str(value).casefold()), NO_FIT)
    kind = declared_type(schema)
    if kind == "boolean":
        return value if isinstance(value, bool) else NO_FIT
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return NO_FIT
        if kind == "integer":
            bound = _INT_RANGES.get(str(schema.get("format")), 2**63)
            return int(value) if float(value).is_integer() and -bound <= value < bound else NO_FIT
        return value
    if kind == "string":
        if not isinstance(value, str):
            return NO_FIT
        if schema.get("format") in ("date-time", "date"):
            moment = as_moment(value)
            try:
                return value if moment is not None and moment.astimezone(timezone.utc) else NO_FIT
            except OverflowError:  # the year 10000, in UTC
                return NO_FIT
    return value


def _display(value: Any) -> Any:
    """A record's value as an archive cell: scalars as they are, a nested carrier by its display value."""
    if isinstance(value, Mapping):
        for key in _DISPLAY_KEYS:
            k = find_column(value, key)
            if k is not None and not isinstance(value[k], (Mapping, list)):
                return value[k]
        return None
    if isinstance(value, list):
        return None
    return value


def _lookup(record: Record, path: str) -> tuple[bool, Any]:
    """(found, value) for a column in a record: `category/id` is `Category.Id`, in any case."""
    current: Any = record
    for part in re.split(r"[/.]", path):
        if not isinstance(current, Mapping):
            return False, None
        key = find_column(current, part)
        if key is None:
            return False, None
        current = current[key]
    return True, _display(current)


@dataclass(frozen=True, slots=True)
class ListSource:
    """What a list's rows come from besides its seed: the entity's records, when the state knows the entity."""

    record: Callable[[int], Record] | None = None   # the generated record of an id (GET /X/{id})
    properties: Mapping[str, str] | None = None     # the record's top-level property names, by lower case
    schemas: Mapping[str, Any] | None = None        # the record's property schemas, by name


class ArchiveList:
    """One OData list operation, compiled once: its columns, its seeded collection, and how a query is answered."""

    def __init__(self, operation_id: str, path: str, sample_rows: list[Any], factory: DataFactory, seed: int,
                 source: ListSource | None = None, entity_name: str | None = None) -> None:
        self.operation_id = operation_id
        self.path = path
        self.factory = factory
        self.seed = seed
        self.source = source or ListSource()
        noun = entity_name or entity_noun(path)
        self.entity_name = noun.lower()
        self.id_column = _camel(noun) + "Id"
        sample = next((row for row in sample_rows if isinstance(row, Mapping)), {})
        sampled_entity = str(sample.get(ENTITY_NAME) or "").lower()
        columns: list[str] = []
        self._sample_schemas: dict[str, dict[str, Any]] = {}
        for key, value in sample.items():
            if key in (PRIMARY_KEY, ENTITY_NAME):
                continue
            if sampled_entity and sampled_entity != self.entity_name and key.lower() == sampled_entity + "id":
                key = self.id_column  # the docs reuse one sample for every list: its id column is the list's own
            columns.append(key)
            schema = _schema_of(value)
            if schema is not None:
                self._sample_schemas[key.lower()] = schema
        if not any(c.lower() == self.id_column.lower() for c in columns):
            columns.insert(0, self.id_column)
        self.default_columns = tuple(columns)
        # The parent in `/Contact/{id}/Persons`: its id column in a row is the id in the path.
        segments = [s for s in path.split("/") if s]
        self._parent: tuple[str, str] | None = None
        for i in range(len(segments) - 2, 0, -1):
            m = _PARAM.match(segments[i])
            if m and not _PARAM.match(segments[i - 1]):
                self._parent = (_camel(segments[i - 1]) + "Id", segments[i][1:-1])
                break
        self._generators: dict[str, Any] = {}  # by lower-case column; schemas stay alive in the factory's cache
        # A cell costs a seeded Random (about 10 us); a list shows the same rows request after request.
        self._cell = functools.lru_cache(maxsize=CELL_CACHE_SIZE)(self._draw)
        self._generated = functools.lru_cache(maxsize=LIST_CACHE_SIZE)(self._generated_rows)
        self._text_rows: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._text_rows_lock = threading.Lock()
        self._paths: dict[str, str | None] = {}
        self._ids: dict[str, bool] = {}
        self._follow = RefFollower(factory.doc)

    # -- columns ------------------------------------------------------------------------------------------------

    def _is_id(self, column: str) -> bool:
        known = self._ids.get(column)
        if known is None:
            known = column_key(column) in (PRIMARY_KEY.lower(), self.id_column.lower())
            if len(self._ids) < MAX_COLUMN_MEMOS:
                self._ids[column] = known
        return known

    def _record_path(self, column: str) -> str | None:
        """Where in the list entity's record a column reads (`category/id` -> `Category/Id`), or None: its own
        spelling first, then the archive's names for what a record holds elsewhere (`name` is a person's
        `FullName`, `contactId` is `Contact/ContactId`)."""
        if column in self._paths:
            return self._paths[column]
        props = self.source.properties
        path = None
        if props is not None:
            parts = re.split(r"[/.]", column)
            first = props.get(parts[0].lower())
            if first is not None:
                path = "/".join([first, *parts[1:]])
            elif len(parts) == 1 and parts[0].lower() == "name":
                path = next((props[k] for k in ("fullname", f"{self.entity_name}name") if k in props), None)
            elif len(parts) == 1 and parts[0].lower().endswith("id") and len(parts[0]) > 2:
                carrier = props.get(parts[0][:-2].lower())
                path = f"{carrier}/{parts[0]}" if carrier is not None else None
        if len(self._paths) < MAX_COLUMN_MEMOS:
            self._paths[column] = path
        return path

    def _schema(self, column: str) -> Any:
        """The schema a column's values follow: the record's property, else the sample's type, else the name's."""
        path = self._record_path(column)
        schemas = self.source.schemas or {}
        schema = schemas.get(path) if path is not None and "/" not in path else None
        return schema if schema is not None else self._sample_schemas.get(column.lower()) or column_schema(column)

    def _generator(self, column: str) -> Any:
        low = column.lower()
        gen = self._generators.get(low)
        if gen is not None:
            return gen
        schema = self._schema(column)
        if len(self._generators) >= MAX_COLUMN_MEMOS:
            # Clients may name any column: past this many, one generator per type, not one per name (the
            # factory keeps every generator it compiles).
            return self.factory.generator(column_schema(column), "")
        name = re.split(r"[/.]", column)[-1]
        if name.lower() == "name":
            name = _NAME_OF.get(self.entity_name, name)
        gen = self._generators[low] = self.factory.generator(schema, name)
        return gen

    def draw(self, column: str, ident: Any, salt: str = "") -> Any:
        """A realistic value for a column of row `ident`: the same for the same row, list after list (another
        `salt`, `Prefer: dynamic=true`'s, draws another)."""
        return self._draw(column, ident, salt) if salt else self._cell(column, ident)

    def _draw(self, column: str, ident: Any, salt: str = "") -> Any:
        r = random.Random(stable_seed(self.seed, self.entity_name, ident, column.lower(), salt))
        return _display(self._generator(column)(r, 1))

    # -- rows ---------------------------------------------------------------------------------------------------

    def _collection(self, path_params: Mapping[str, str], pinned: list[int] | None, salt: str = "") -> list[int]:
        """The ids of the generated rows, ascending: seeded by the list (and its path), or the ids a filter
        names outright (`saleId eq 5`, `PrimaryKey oneOf (1, 2)`)."""
        if pinned is not None:
            return sorted(set(pinned))
        r = random.Random(stable_seed(self.seed, self.operation_id, sorted(path_params.items()), salt))
        size = MIN_ROWS + int(r.random() * (MAX_ROWS - MIN_ROWS + 1))
        return sorted(r.sample(range(ID_RANGE[0], ID_RANGE[1] + 1), size))

    def _pinned_ids(self, expr: Expr | None) -> list[int] | None:
        """The ids a filter names outright, or None: `saleId eq 5`, `saleId oneOf (5, 6)`, `saleId eq 5 or
        saleId eq 6`, as one of the conditions of an `and`; or a narrow range (`saleId between (5, 7)`)."""
        parts = expr.operands if isinstance(expr, All) else (expr,) if expr is not None else ()
        low, high = 1, None
        for part in parts:
            branches = part.operands if isinstance(part, Any_) else (part,)
            if all(isinstance(c, Condition) and not c.call and self._is_id(c.column) and
                   c.meaning in ("eq", "oneof") for c in branches):
                ids = [i for c in branches for i in map(_whole, c.operands) if i is not None]  # type: ignore[union-attr]
                # An id the mock did not create, above where created ids start, names no record.
                return [i for i in ids if 0 < i < CREATED_ID_START]
            if isinstance(part, Condition) and not part.call and self._is_id(part.column):
                bounds = [_whole(v) for v in part.operands]
                if any(b is None for b in bounds):
                    continue
                if part.meaning in ("gt", "ge", "between"):
                    low = max(low, bounds[0] + (part.meaning == "gt"))  # type: ignore[operator]
                if part.meaning in ("lt", "le", "between"):
                    top = bounds[-1] - (part.meaning == "lt")  # type: ignore[operator]
                    high = top if high is None else min(high, top)
        if high is not None and high - low < MAX_ROWS:  # a narrow range of ids: the ids in it
            return list(range(low, min(high, CREATED_ID_START - 1) + 1))
        return None

    def row(self, ident: Any, columns: Iterable[str], record: Record | None, salt: str = "") -> dict[str, Any]:
        row: dict[str, Any] = {PRIMARY_KEY: ident, ENTITY_NAME: self.entity_name}
        for column in columns:
            if column in row:
                continue
            if self._is_id(column):
                row[column] = ident
                continue
            path = self._record_path(column) if record is not None else None
            if path is not None:
                found, value = _lookup(record, path)  # type: ignore[arg-type]
                if found:
                    row[column] = value
                    continue
            row[column] = self.draw(column, ident, salt)
        return row

    def _needs_record(self, columns: Iterable[str]) -> bool:
        return self.source.record is not None and any(
            self._record_path(c) is not None and not self._is_id(c) for c in columns)

    def _expr(self, query: ODataQuery, path_params: Mapping[str, str]) -> Expr | None:
        """The query's filter, and the parent's id in the path (`/Contact/5/Persons` lists contact 5's)."""
        expr = query.filter
        if self._parent is not None and path_params.get(self._parent[1], "").isdigit():
            column, param = self._parent
            parent = Condition(column, "eq", (int(path_params[param]),), "eq")
            expr = parent if expr is None else All((parent, expr))
        return expr

    def _generated_for(self, query: ODataQuery, expr: Expr | None, path_params: Mapping[str, str], today: date,
                       salt: str) -> tuple[tuple[str, ...], tuple[dict[str, Any], ...]]:
        """The columns a query needs, and the generated rows that meet `expr`, in id order."""
        filtered = [c.column for c in conditions(expr)] if expr is not None else []
        # One column however it is spelled (`Name` in the filter, `name` in $select): the first spelling.
        spellings: dict[str, str] = {}
        for c in [*(query.select or self.default_columns), *filtered, *(c for c, _ in query.order)]:
            spellings.setdefault(column_key(c), c)
        needed = tuple(spellings.values())
        # `/Person/0042/Sales` is `/Person/42/Sales`: an id is its number.
        path_items = tuple(sorted((k, str(int(v)) if v.isascii() and v.isdigit() else v)
                                  for k, v in path_params.items()))
        if salt:  # fresh rows (`Prefer: dynamic=true`): nothing remembered
            return needed, self._generated_rows(expr, needed, path_items, today, salt)
        return needed, self._generated(expr, needed, path_items, today)

    def in_id_order(self, query: ODataQuery, path_params: Mapping[str, str]) -> bool:
        """Whether the query lists every row in id order: then `first_page` finds its page from the first
        stored keys, and reads only the records on it."""
        return not query.order and self._expr(query, path_params) is None

    def first_page(self, query: ODataQuery, path_params: Mapping[str, str], stored: StoredRecords, today: date,
                   salt: str = "") -> tuple[list[dict[str, Any]], bool]:
        """The page an unfiltered query in id order asks for, and whether another page follows. The generated
        rows (a few dozen) merge in id order with the stored keys from the page on; only the records on the
        page are read, so a page costs about the same with ten stored records or a million."""
        needed, generated = self._generated_for(query, None, path_params, today, salt)
        rows = [(_primary_order(row), row) for row in _not_held(generated, stored)]
        end = query.skip + query.page_size + 1  # one row past the page: is there another page?
        # Every generated row may come before the page, so the stored keys before `offset` are surely before it.
        offset = max(0, query.skip - len(rows))
        keys = [(key_order(key), key) for key in stored.keys_in_order(offset, end - offset)]
        # The generated rows before the first key read sit among the keys skipped: `before` of them.
        if not offset:
            before = 0
        elif keys:
            before = bisect.bisect_left([order for order, _ in rows], keys[0][0])
        else:
            before = len(rows)
        merged = heapq.merge(rows[before:], keys, key=lambda entry: entry[0])
        window = [item for _, item in itertools.islice(merged, query.skip - offset - before, end - offset - before)]
        more = len(window) > query.page_size
        window = window[:query.page_size]
        records = stored.records([item for item in window if isinstance(item, str)])
        page = []
        for item in window:
            if not isinstance(item, str):
                page.append(item)
            elif item in records:  # else deleted since its key was read
                page.append(self._stored_row(item, needed, records[item]))
        return page, more

    def rows(self, query: ODataQuery, path_params: Mapping[str, str], stored: StoredRecords | None, today: date,
             salt: str = "") -> list[dict[str, Any]]:
        """Every row of the list that matches the query, in order (before paging). The stored records are read
        a batch at a time, and only the rows that match are kept. The rows are shared with later requests (see
        `_generated`): read them, do not change them."""
        expr = self._expr(query, path_params)
        needed, generated = self._generated_for(query, expr, path_params, today, salt)
        if stored is None:
            return self._ordered(list(generated), query)
        out = _not_held(generated, stored)
        for key, record in stored.scan():
            row = self._stored_row(key, needed, record)
            if expr is None or matches(expr, row, today):
                out.append(row)
        out.sort(key=_primary_order)
        return self._ordered(out, query)

    @staticmethod
    def _ordered(out: list[dict[str, Any]], query: ODataQuery) -> list[dict[str, Any]]:
        for column, descending in reversed(query.order):  # stable sorts, last key first
            out.sort(key=lambda row, c=column: _order_key(row, c), reverse=descending)
        return out

    def _generated_rows(self, expr: Expr | None, needed: tuple[str, ...],
                        path_items: tuple[tuple[str, str], ...], today: date,
                        salt: str = "") -> tuple[dict[str, Any], ...]:
        """The generated rows that meet `expr`, in id order: a function of its arguments, so remembered
        (`_generated`) for the pages of a list and its repeated queries."""
        with_record = self._needs_record(needed)
        tries = Tries(LIST_TRIES)
        # The same filter however it is written (`Name begins 'S'`, `name  begins 's'`) gives the same rows.
        seed_text = to_text(expr).casefold() if expr is not None else ""
        out: list[dict[str, Any]] = []
        for ident in self._collection(dict(path_items), self._pinned_ids(expr), salt):
            record = self.source.record(ident) if with_record and self.source.record else None
            row = self.row(ident, needed, record, salt)
            if expr is not None:
                r = random.Random(stable_seed(self.seed, self.operation_id, ident, seed_text, salt))
                satisfy(expr, row, self, r, today, tries)
                if not matches(expr, row, today):
                    continue
            out.append(row)
        return tuple(out)

    def _stored_row(self, key: str, needed: tuple[str, ...], record: Any) -> dict[str, Any]:
        """The row of the record stored under `key` (a record that is not an object shows no values of its
        own). A record kept as its text has its row remembered by that text: reading a 14 KB record costs more
        than the rest of a page."""
        ident = ident_of(key)
        if type(record) is not JsonRecord:
            return self.row(ident, needed, record if isinstance(record, Mapping) else None)
        key = (record.text, ident, needed)
        with self._text_rows_lock:  # SQLite-backed requests may run in threads
            row = self._text_rows.get(key)
            if row is not None:
                self._text_rows.move_to_end(key)
                return row
        row = self.row(ident, needed, record)
        with self._text_rows_lock:
            self._text_rows[key] = row
            if len(self._text_rows) > STORED_ROW_CACHE_SIZE:
                self._text_rows.popitem(last=False)
        return row

    # -- what `satisfy` asks (predicates.Columns) ----------------------------------------------------------------

    def redraw(self, column: str, r: random.Random) -> Any:
        return _display(self._generator(column)(r, 1))

    def fixed(self, column: str) -> bool:
        return self._is_id(column)  # a row's id is its identity: a filter on it keeps or drops the row

    def fit(self, column: str, value: Any) -> Any:
        try:
            schema = self._follow(self._schema(column))
        except SpecError:
            return value
        return fit_schema(schema if isinstance(schema, Mapping) else {}, value)

    # -- the answer ---------------------------------------------------------------------------------------------

    def page(self, query: ODataQuery, rows: list[dict[str, Any]], base_url: str, request_path: str,
             raw_query: str) -> dict[str, Any]:
        """The envelope of the page `query` asks for out of every row that matches it."""
        chosen = rows[query.skip:query.skip + query.page_size]
        more = query.skip + len(chosen) < len(rows)
        return self.envelope(query, chosen, more, base_url, request_path, raw_query)

    def envelope(self, query: ODataQuery, chosen: list[dict[str, Any]], more: bool, base_url: str,
                 request_path: str, raw_query: str) -> dict[str, Any]:
        """The envelope of one page: `odata.metadata`, `odata.nextLink` when another page follows, `value`."""
        shown = [PRIMARY_KEY, ENTITY_NAME, *(query.select or self.default_columns)]
        value = [{(_UNSAFE.sub("_", c) if query.json_safe else c): row.get(find_column(row, c) or c)
                  for c in shown} for row in chosen]
        envelope: dict[str, Any] = {"odata.metadata": f"{base_url}{_api_root(self.path)}/archive$metadata"}
        if more and query.page_size > 0:
            following = query.skip + len(chosen)
            envelope["odata.nextLink"] = f"{base_url}{request_path}?{_next_query(raw_query, following)}"
        envelope["value"] = value
        return envelope


def _api_root(path: str) -> str:
    """`/api/v1` of `/api/v1/Sale`: where the archive's `$metadata` lives."""
    segments = path.split("/")
    for i, s in enumerate(segments):
        if re.fullmatch(r"v\d+", s):
            return "/".join(segments[:i + 1])
    return ""


def _next_query(raw_query: str, skip: int) -> str:
    """The request's query string as the client wrote it, with `$skip` (in any case or encoding) for the next
    page: every other byte stays, so the link is the same request."""
    kept = [part for part in raw_query.split("&")
            if part and unquote_plus(part.partition("=")[0]).lower() != "$skip"]
    return "&".join([*kept, f"$skip={skip}"])


def base_url(scheme: str, host: str | None) -> str:
    """`http://host:port` for links in an answer, from the request's Host header when it is a plain host name;
    anything else makes the links relative (a Host header is the client's to choose)."""
    if host and _HOST.match(host):
        return f"{scheme}://{host}"
    return ""


def _whole(value: Any) -> int | None:
    """An id a filter's value names: 5, 5.0 or '5' (a quoted id of a sensible length)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and 0 < len(value.strip()) <= 18 and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _not_held(generated: Iterable[dict[str, Any]], stored: StoredRecords) -> list[dict[str, Any]]:
    """The generated rows whose ids the session neither wrote nor deleted: the others give way to the store."""
    generated = list(generated)
    held = stored.held([str(row[PRIMARY_KEY]) for row in generated])
    return [row for row in generated if str(row[PRIMARY_KEY]) not in held]


def ident_of(key: str) -> Any:
    """A stored record's id in its row: the number its key is, or the key (ids sort as the store sorts keys)."""
    kind, number, _ = key_order(key)
    return number if kind == 0 else key


class StoredRecords(Protocol):
    """What `first_page` reads of the session's stored records of the list's entity (state.engine.StoredView)."""

    def keys_in_order(self, offset: int, limit: int) -> list[str]: ...

    def held(self, keys: Iterable[str]) -> frozenset[str]: ...

    def records(self, keys: Iterable[str]) -> dict[str, Any]: ...

    def scan(self) -> Iterable[tuple[str, Any]]: ...


def _primary_order(row: Mapping[str, Any]) -> tuple[int, Any]:
    key = row.get(PRIMARY_KEY)
    return (0, key) if isinstance(key, int) else (1, str(key))


def _order_key(row: Mapping[str, Any], column: str) -> tuple[int, Any]:
    """Nulls first, then numbers, then dates in time order, then text without regard to case."""
    key = find_column(row, column)
    value = row.get(key) if key is not None else None
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)):
        return (1, int(value) if isinstance(value, bool) else value)
    moment = as_moment(value)
    if moment is not None:
        return (2, moment.timestamp())
    return (3, str(value).casefold())
