"""What a `$filter` tree means for one row: whether the row matches (`matches`), and how a generated row is
changed so that it does (`satisfy`).

Values compare the way the archive compares them: numbers as numbers, text without regard to case, dates as
dates (a date-time without an offset is UTC). Relative date operators (`today`, `thisWeek`, `next(f, 2,
month)` ...) are ranges of days around the mock's clock, which a test can move (README, "Time").
"""
from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Protocol

from .filter import All, Any_, Condition, Expr, Literal, Not

# The associate `currentAssociate` names: the mock has no login, so it is always this one.
CURRENT_ASSOCIATE = 1
REDRAWS = 48          # how often a generated value is drawn again before it is built to fit
FEW_REDRAWS = 8       # the same, for a bound (`amount gt 500`): a draw is likelier to fit, a built value as real
_OPEN_RANGE_DAYS = 365



def column_key(column: str) -> str:
    """What names a column whatever its spelling: `Category.Id`, `category/id` and `CATEGORY/ID` are one."""
    return column.lower().replace(".", "/")


def find_column(row: Mapping[str, Any], column: str) -> str | None:
    """The key of `row` that names `column`, in any case (and `.` for `/`)."""
    if column in row:
        return column
    wanted = column_key(column)
    return next((k for k in row if isinstance(k, str) and column_key(k) == wanted), None)


# -- comparing values -------------------------------------------------------------------------------------------


def as_date(value: Any) -> date | None:
    moment = as_moment(value)
    return moment.date() if moment is not None else None


def as_moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isdigit() or value[4] != "-":
        return None
    return _moment(value)


@functools.lru_cache(maxsize=16384)  # generated dates come from pools of 4,096: each is read once
def _moment(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, (int, float, str)) else None
    except (ValueError, OverflowError):
        return None
    return number if number is not None and math.isfinite(number) else None  # 'nan' and 1e999 are text


def compare(value: Any, operand: Literal) -> int | None:
    """-1, 0 or 1 as `value` is below, equal to or above `operand`; None when they cannot be compared."""
    if value is None or operand is None:
        return 0 if value is None and operand is None else None
    if isinstance(value, bool) or isinstance(operand, bool):
        a, b = _truth(value), _truth(operand)
        return None if a is None or b is None else (a > b) - (a < b)
    x, y = _number(value), _number(operand)
    if x is not None and y is not None and not (isinstance(value, str) and isinstance(operand, str)):
        return (x > y) - (x < y)
    m, n = as_moment(value), as_moment(operand)
    if m is not None and n is not None:
        if len(str(operand)) == 10:  # a date alone compares with the day of the value
            d, e = m.date(), n.date()
            return (d > e) - (d < e)
        return (m > n) - (m < n)
    s, t = str(value).casefold(), str(operand).casefold()
    return (s > t) - (s < t)


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    return {"true": True, "false": False, "1": True, "0": False}.get(text)


def _text(value: Any) -> str:
    return "" if value is None else str(value).casefold()


# -- date ranges ------------------------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_start(today: date, period: str, offset: int) -> tuple[date, date]:
    """[start, end) of the `period` that is `offset` periods from the one holding `today`."""
    if period == "day":
        start = today + timedelta(days=offset)
        return start, start + timedelta(days=1)
    if period == "week":
        start = today - timedelta(days=today.weekday()) + timedelta(weeks=offset)
        return start, start + timedelta(weeks=1)
    months = {"month": 1, "quarter": 3, "half": 6, "year": 12}[period]
    first = date(today.year, ((today.month - 1) // months) * months + 1, 1) if months < 12 else date(today.year, 1, 1)
    start = _add_months(first, months * offset)
    return start, _add_months(start, months)


_UNARY_RANGES: dict[str, tuple[str, int]] = {
    "today": ("day", 0), "lastweek": ("week", -1), "thisweek": ("week", 0), "nextweek": ("week", 1),
    "lastmonth": ("month", -1), "thismonth": ("month", 0), "nextmonth": ("month", 1),
    "lastquarter": ("quarter", -1), "thisquarter": ("quarter", 0), "nextquarter": ("quarter", 1),
    "thishalf": ("half", 0), "thisyear": ("year", 0),
}
_CALL_OFFSETS: dict[str, Callable[[int], tuple[int, int]]] = {
    "this": lambda n: (0, 0), "next": lambda n: (1, n), "previous": lambda n: (-n, -1),
    "thisandnext": lambda n: (0, n), "thisandprevious": lambda n: (-n, 0),
    "thisandpreviousandnext": lambda n: (-n, n),
}


_NO_DAYS = (date.max, date.min)  # a range no day is in: one reaching past the calendar's ends


def date_range(c: Condition, today: date) -> tuple[date | None, date | None] | None:
    """[start, end) of the days a date condition accepts (None: open), or None for a condition on other things."""
    try:
        return _date_range(c, today)
    except (OverflowError, ValueError):  # after '9999-12-31', next(f, 999, year): past the calendar
        return _NO_DAYS


def _date_range(c: Condition, today: date) -> tuple[date | None, date | None] | None:
    m = c.meaning
    if m in _UNARY_RANGES:
        period, offset = _UNARY_RANGES[m]
        return period_start(today, period, offset)
    if m == "beforetoday":
        return None, today
    if m == "aftertoday":
        return today + timedelta(days=1), None
    if m in _CALL_OFFSETS:
        count = c.operands[0] if len(c.operands) == 2 else 1
        low, high = _CALL_OFFSETS[m](int(count))  # type: ignore[arg-type]
        period = str(c.operands[-1])
        return period_start(today, period, low)[0], period_start(today, period, high)[1]
    bound = as_date(c.operands[0]) if c.operands else None
    if m == "before" and bound is not None:
        return None, bound
    if m == "after" and bound is not None:
        return bound + timedelta(days=1), None
    if m == "date" and bound is not None:
        return bound, bound + timedelta(days=1)
    return None


# -- matching ---------------------------------------------------------------------------------------------------


def condition_holds(c: Condition, value: Any, today: date) -> bool:
    """Whether a column's `value` meets `c` (on the day `today`)."""
    # Keyed by the operands' types too: `true == 1` in Python, not in a filter.
    return _test(c.meaning, tuple((type(o), o) for o in c.operands), today)(value)


@functools.lru_cache(maxsize=4096)
def _test(meaning: str, typed: tuple[tuple[type, Literal], ...], today: date) -> Callable[[Any], bool]:
    """A condition as a test of one value, made once per condition and day: a filter is tested on every row,
    and again for every value drawn while a row is made to meet it."""
    m, ops = meaning, tuple(o for _, o in typed)
    c = Condition("", m, ops)
    span = date_range(c, today)
    if span is not None:
        start, end = span

        def in_days(value: Any) -> bool:
            day = as_date(value)
            return day is not None and (start is None or day >= start) and (end is None or day < end)
        return in_days
    if m in _ORDERS:
        operand, wanted = ops[0], _ORDERS[m]
        return lambda value: compare(value, operand) in wanted
    if m == "between":
        low, high = ops
        return lambda value: compare(value, low) in (0, 1) and compare(value, high) in (-1, 0)
    if m in ("oneof", "notoneof"):
        member = m == "oneof"
        return lambda value: any(compare(value, o) == 0 for o in ops) is member
    if m in _TEXT_TESTS:
        needle, test, positive = _text(ops[0]), *_TEXT_TESTS[m]
        return lambda value: test(_text(value), needle) is positive
    if m == "set":
        return lambda value: value not in (None, "", 0, False)
    if m == "currentassociate":
        return lambda value: compare(value, CURRENT_ASSOCIATE) == 0
    return lambda value: False  # before/after/date with an operand that is not a date


# What compare() answers for each order: -1 below, 0 equal, 1 above (None: not comparable).
_ORDERS: dict[str, tuple[int, ...]] = {"eq": (0,), "ne": (-1, 1, None), "lt": (-1,), "le": (-1, 0), "gt": (1,),
                                       "ge": (0, 1)}
_TEXT_TESTS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "contains": (lambda text, needle: needle in text, True),
    "notcontains": (lambda text, needle: needle in text, False),
    "begins": (str.startswith, True), "notbegins": (str.startswith, False), "ends": (str.endswith, True),
}


def matches(expr: Expr, row: Mapping[str, Any], today: date) -> bool:
    if isinstance(expr, Condition):
        key = find_column(row, expr.column)
        return condition_holds(expr, row[key] if key is not None else None, today)
    if isinstance(expr, Not):
        return not matches(expr.operand, row, today)
    if isinstance(expr, All):
        return all(matches(e, row, today) for e in expr.operands)
    return any(matches(e, row, today) for e in expr.operands)


# -- satisfying -------------------------------------------------------------------------------------------------


class Columns(Protocol):
    """What `satisfy` asks of the list whose row it changes."""

    def redraw(self, column: str, r: random.Random) -> Any:
        """A fresh realistic value for the column."""

    def fixed(self, column: str) -> bool:
        """Whether no filter may change the column (the row's id: a filter on it keeps or drops the row)."""

    def fit(self, column: str, value: Any) -> Any:
        """`value` as the column holds it (an enum's own spelling), or NO_FIT when the column cannot hold it
        (its type, its enum, its format's range)."""


NO_FIT: Any = type("NoFit", (), {"__repr__": lambda self: "NO_FIT", "__slots__": ()})()


class Tries:
    """How many more values may be drawn for one list: whatever the filter, making rows meet it stays bounded
    (past it, a value is built at once, or the row is left to the filter)."""

    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left

    def take(self, wanted: int) -> int:
        granted = min(wanted, max(self.left, 0))
        self.left -= granted
        return granted


def satisfy(expr: Expr, row: dict[str, Any], columns: Columns, r: random.Random, today: date,
            tries: Tries | None = None) -> None:
    """Change the generated `row` in place so that it matches `expr` where that can be done: a condition is
    met by drawing the column's realistic value again (a name that begins with S is a real name), and only
    then by building a value that the column can hold; a column `columns.fixed` names is never changed. `or`
    meets one branch, chosen by `r`. The caller checks the result with `matches` and drops a row that still
    does not (a filter that contradicts itself, or asks for a value the column cannot hold)."""
    tries = tries if tries is not None else Tries(REDRAWS * 64)
    if isinstance(expr, All):
        for _ in range(2):  # meeting one condition may undo another on the same column: a second pass
            _meet_together(expr, row, columns, r, today)
            for e in expr.operands:
                satisfy(e, row, columns, r, today, tries)
            if matches(expr, row, today):
                return
        return
    if isinstance(expr, Any_):
        if matches(expr, row, today):
            return
        first = int(r.random() * len(expr.operands))  # a branch chosen by the seed; the next if it cannot be met
        for branch in expr.operands[first:] + expr.operands[:first]:
            satisfy(branch, row, columns, r, today, tries)
            if matches(branch, row, today):
                return
        return
    if isinstance(expr, Not):
        if matches(expr, row, today):  # `not (done le -1)` holds for a false `done`, yet `done gt -1` does not
            return
        opposite = negate(expr.operand)
        if opposite is not None:
            satisfy(opposite, row, columns, r, today, tries)
            return
        for _ in range(tries.take(FEW_REDRAWS)):
            if not matches(expr.operand, row, today):
                return
            for c in _columns(expr.operand):
                key = find_column(row, c) or c
                if not columns.fixed(key):
                    row[key] = columns.redraw(key, r)
        return
    key = find_column(row, expr.column) or expr.column
    current = row.get(key)
    if columns.fixed(key) or condition_holds(expr, current, today):
        return
    for _ in range(tries.take(_redraws(expr, today))):
        value = columns.redraw(key, r)
        if condition_holds(expr, value, today):
            row[key] = value
            return
    built = _build(expr, current, r, today)
    if built is not _NOTHING:
        built = columns.fit(key, built)
        if built is not NO_FIT:
            row[key] = built


def _redraws(c: Condition, today: date) -> int:
    """How often to draw a column again for `c` before building a value: a realistic draw is worth many tries
    for text (a name that begins with S), a few for a bound, none where a draw would only match by chance (one
    value, a range of days: generated dates cluster around a fixed year, and today moves on)."""
    if c.meaning in _BUILT or date_range(c, today) is not None:
        return 0
    return FEW_REDRAWS if c.meaning in _BOUNDS else REDRAWS


_BUILT = frozenset({"eq", "oneof", "currentassociate"})
_BOUNDS = frozenset({"lt", "le", "gt", "ge", "between"})


def _columns(expr: Expr) -> list[str]:
    if isinstance(expr, Condition):
        return [expr.column]
    if isinstance(expr, Not):
        return _columns(expr.operand)
    return [c for e in expr.operands for c in _columns(e)]


_OPPOSITES = {"eq": ("ne", "ne"), "ne": ("eq", "eq"), "oneof": ("notoneof", "NotOneOf"),
              "notoneof": ("oneof", "oneOf"), "contains": ("notcontains", "notContains"),
              "notcontains": ("contains", "contains"), "begins": ("notbegins", "notBegins"),
              "notbegins": ("begins", "begins"), "lt": ("ge", "ge"), "ge": ("lt", "lt"), "le": ("gt", "gt"),
              "gt": ("le", "le")}


def negate(expr: Expr) -> Expr | None:
    """A filter without `not` that means `not expr` (for every row that has the columns), or None when there is
    none (`not registered thisWeek`): `not a eq 1` is `a ne 1`, `not (x and y)` is `not x or not y`."""
    if isinstance(expr, Not):
        return expr.operand
    if isinstance(expr, Condition):
        opposite = _OPPOSITES.get(expr.meaning)
        if opposite is None or (expr.call and expr.meaning != "begins"):
            return None
        return Condition(expr.column, opposite[0], expr.operands, opposite[1])
    parts = [negate(e) for e in expr.operands]
    if any(p is None for p in parts):
        return None
    return Any_(tuple(parts)) if isinstance(expr, All) else All(tuple(parts))  # type: ignore[arg-type]


def _meet_together(expr: All, row: dict[str, Any], columns: Columns, r: random.Random, today: date) -> None:
    """Meet the bounds a conjunction puts on one column at once (`amount ge 100 and amount le 200`, `registered
    after '2024-01-01' and registered before '2024-02-01'`): one at a time, each would undo the other."""
    groups: dict[str, list[Condition]] = {}
    for c in expr.operands:
        if isinstance(c, Condition) and (c.meaning in _BOUNDS or date_range(c, today) is not None):
            groups.setdefault(column_key(c.column), []).append(c)
    for conds in groups.values():
        if len(conds) < 2:
            continue
        key = find_column(row, conds[0].column) or conds[0].column
        current = row.get(key)
        if columns.fixed(key) or all(condition_holds(c, current, today) for c in conds):
            continue
        for _ in range(FEW_REDRAWS):
            value = _within(conds, current, r, today)
            if value is _NOTHING:
                break
            value = columns.fit(key, value) if all(condition_holds(c, value, today) for c in conds) else NO_FIT
            if value is not NO_FIT:
                row[key] = value
                break


def _within(conds: list[Condition], current: Any, r: random.Random, today: date) -> Any:
    """A value inside every bound of `conds` (all on one column), or _NOTHING."""
    spans = [date_range(c, today) for c in conds]
    try:
        if all(span is not None for span in spans):
            starts = [s[0] for s in spans if s[0] is not None]  # type: ignore[index]
            ends = [s[1] for s in spans if s[1] is not None]  # type: ignore[index]
            low = max(starts) if starts else (min(ends) - timedelta(days=_OPEN_RANGE_DAYS))
            high = min(ends) if ends else low + timedelta(days=_OPEN_RANGE_DAYS)
            if low >= high:
                return _NOTHING
            return _moment_like(current, low + timedelta(days=int(r.random() * (high - low).days)), r)
    except (OverflowError, ValueError):
        return _NOTHING
    lows: list[float] = []
    highs: list[float] = []
    for c in conds:
        numbers = [_number(o) for o in c.operands]
        if any(n is None or not math.isfinite(n) for n in numbers):
            return _NOTHING
        if c.meaning in ("gt", "ge"):
            lows.append(numbers[0])  # type: ignore[arg-type]
        elif c.meaning in ("lt", "le"):
            highs.append(numbers[0])  # type: ignore[arg-type]
        elif c.meaning == "between":
            lows.append(numbers[0])  # type: ignore[arg-type]
            highs.append(numbers[1])  # type: ignore[arg-type]
    low = max(lows) if lows else (min(highs) - 1000.0)
    high = min(highs) if highs else low + 1000.0
    if low > high:
        return _NOTHING
    if isinstance(current, int) and not isinstance(current, bool):
        first, last = math.ceil(low), math.floor(high)
        return first + int(r.random() * (last - first + 1)) if first <= last else _NOTHING
    return round(low + r.random() * (high - low), 2)


_NOTHING: Any = object()


def _like(current: Any, value: Any) -> Any:
    """`value` in the type of the column's `current` value (a filter's '5' for an integer column is 5)."""
    if isinstance(current, bool):
        truth = _truth(value)
        return truth if truth is not None else value
    if isinstance(current, (int, float)) and not isinstance(current, bool) and not isinstance(value, bool):
        number = _number(value)
        if number is None or not math.isfinite(number):
            return _NOTHING  # no number of the column's type is that value: the row cannot meet it
        if isinstance(current, int):
            return int(number) if number == int(number) else _NOTHING
        return number
    if isinstance(current, str) and value is not None and not isinstance(value, str):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


def _moment_like(current: Any, day: date, r: random.Random) -> str:
    if isinstance(current, str) and len(current) == 10:
        return day.isoformat()
    seconds = int(r.random() * 86400)
    return datetime.combine(day, time(), timezone.utc).replace(microsecond=0).__add__(
        timedelta(seconds=seconds)).isoformat()


def _build(c: Condition, current: Any, r: random.Random, today: date) -> Any:
    """A value for the column that meets `c` when drawing did not find one, or _NOTHING."""
    try:
        return _construct(c, current, r, today)
    except (OverflowError, ValueError):  # a bound at the calendar's end: no value fits
        return _NOTHING


def _construct(c: Condition, current: Any, r: random.Random, today: date) -> Any:
    m, ops = c.meaning, c.operands
    span = date_range(c, today)
    if span is not None:
        low = span[0] if span[0] is not None else (span[1] - timedelta(days=_OPEN_RANGE_DAYS))  # type: ignore[operator]
        high = span[1] if span[1] is not None else low + timedelta(days=_OPEN_RANGE_DAYS)
        day = low + timedelta(days=int(r.random() * max(1, (high - low).days)))
        return _moment_like(current, day, r)
    if m == "eq":
        return _like(current, ops[0])
    if m == "oneof":
        return _like(current, ops[int(r.random() * len(ops))])
    if m == "currentassociate":
        return _like(current, CURRENT_ASSOCIATE)
    if m in ("gt", "ge", "lt", "le", "between"):
        return _in_bounds(c, current, r)
    text = "" if current is None else str(current)
    operand = "" if not ops or ops[0] is None else str(ops[0])
    if m == "begins":
        return operand + text[len(operand):]
    if m == "ends":
        return text[:max(0, len(text) - len(operand))] + operand
    if m == "contains":
        return f"{text} {operand}".strip()
    if m == "ne" and isinstance(current, int) and not isinstance(current, bool):
        return current + 1
    return _NOTHING


def _in_bounds(c: Condition, current: Any, r: random.Random) -> Any:
    m, ops = c.meaning, c.operands
    dates = [as_moment(o) for o in ops]
    if all(d is not None for d in dates):
        low_d, high_d = dates[0], dates[-1]
        if m in ("gt", "ge"):
            high_d = low_d + timedelta(days=_OPEN_RANGE_DAYS)  # type: ignore[operator]
        elif m in ("lt", "le"):
            low_d = high_d - timedelta(days=_OPEN_RANGE_DAYS)  # type: ignore[operator]
        seconds = max(1, int((high_d - low_d).total_seconds()))  # type: ignore[operator]
        moment = low_d + timedelta(seconds=1 + int(r.random() * (seconds - 1)))  # type: ignore[operator]
        return _moment_like(current, moment.date(), r) if isinstance(current, str) and len(current) == 10 \
            else moment.isoformat()
    numbers = [_number(o) for o in ops]
    if any(n is None for n in numbers):
        return _NOTHING
    whole = not isinstance(current, float) and all(float(n).is_integer() for n in numbers)  # type: ignore[arg-type]
    low, high = numbers[0], numbers[-1]
    assert low is not None and high is not None
    if not (math.isfinite(low) and math.isfinite(high)):
        return _NOTHING
    width = max(10.0, abs(low) if m in ("gt", "ge") else abs(high))
    if m in ("gt", "ge"):
        low, high = low + (1 if m == "gt" else 0), low + width
    elif m in ("lt", "le"):
        low, high = high - width, high - (1 if m == "lt" else 0)
    if low > high or not (math.isfinite(low) and math.isfinite(high)):
        return _NOTHING
    if whole:
        return int(low) + int(r.random() * (int(high) - int(low) + 1))
    return round(low + r.random() * (high - low), 2)
