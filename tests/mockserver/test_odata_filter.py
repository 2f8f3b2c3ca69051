"""The `$filter` language: every documented operator and function parses, malformed filters say where, trees
round-trip through their text, and what a filter means for a row (matching, and generated rows made to match)."""
from __future__ import annotations

import random
import re
from datetime import date

import pytest
from hypothesis import example, given, settings, strategies as st

from mock_support import CORPUS
from mockserver.odata.filter import (FUNCTIONS, OPERATORS, All, Any_, Arity, Condition, FilterError, Not,
                                     parse_filter, to_text)
from mockserver.odata.predicates import date_range, matches, period_start, satisfy

TODAY = date(2026, 12, 6)  # a Sunday
LIST_PAGE = CORPUS / "superoffice/docs/api/api-reference/restful/rest/Sale/v1SaleEntity_GetAll.md"


def _documented_operators() -> tuple[list[str], list[str]]:
    """The operator and function names the list pages document under `## Filter Operators:`."""
    text = LIST_PAGE.read_text(encoding="utf-8")
    block = text.split("## Filter Operators:", 1)[1].split("## Query String Parameters", 1)[0]
    operators, functions = [], []
    for line in block.splitlines():
        label, _, rest = line.partition(":")
        if not rest.strip():
            continue
        if label.strip().lower().startswith("func"):
            functions += re.findall(r"(\w+)\(", rest)
        else:
            names = [n.strip() for n in rest.split(",") if n.strip()]
            operators += [n.split()[0] for n in names] + [n.split()[1] for n in names if len(n.split()) > 1]
    return operators, functions


@pytest.mark.skipif(not LIST_PAGE.exists(), reason="the corpus is not beside the repository")
def test_every_operator_and_function_the_pages_document_is_known() -> None:
    operators, functions = _documented_operators()
    assert len(operators) >= 30 and len(functions) == 9
    assert [o for o in operators if o.lower() not in OPERATORS] == []
    assert [f for f in functions if f.lower() not in FUNCTIONS] == []


def _example(name: str) -> str:
    op = OPERATORS[name.lower()]
    if op.arity is Arity.UNARY:
        return f"registered {name}"
    if op.arity is Arity.TWO:
        return f"saleId {name} (1, 100)"
    if op.arity is Arity.MANY:
        return f"category {name} (3, 4)"
    return f"name {name} 'S'"


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_each_operator_parses_into_a_condition_that_round_trips(name: str) -> None:
    tree = parse_filter(_example(name))
    assert isinstance(tree, Condition) and tree.meaning == OPERATORS[name].meaning
    assert parse_filter(to_text(tree)) == tree


@pytest.mark.parametrize("text, column, meaning, operands", [
    ("startswith(name, 'baz')", "name", "begins", ("baz",)),
    ("endswith(name, 'AS')", "name", "ends", ("AS",)),
    ("substringof('foo', name)", "name", "contains", ("foo",)),
    ("this(registered, month)", "registered", "this", ("month",)),
    ("next(registered, 2, week)", "registered", "next", (2, "week")),
    ("previous(registered, 1, quarter)", "registered", "previous", (1, "quarter")),
    ("thisAndNext(registered, 3, day)", "registered", "thisandnext", (3, "day")),
    ("thisAndPrevious(registered, 1, year)", "registered", "thisandprevious", (1, "year")),
    ("thisAndPreviousAndNext(registered, half)", "registered", "thisandpreviousandnext", ("half",)),
    ("THISANDPREVIOUSANDNEXT(registered, 2, 'Month')", "registered", "thisandpreviousandnext", (2, "month")),
])
def test_each_function_parses(text: str, column: str, meaning: str, operands: tuple) -> None:
    tree = parse_filter(text)
    assert (tree.column, tree.meaning, tree.operands) == (column, meaning, operands)
    assert parse_filter(to_text(tree)) == tree


def test_the_documented_examples_parse_with_precedence_and_quoting() -> None:
    tree = parse_filter("col1 eq 'foo' and startswith(col2, 'baz')")
    assert isinstance(tree, All) and [c.column for c in tree.operands] == ["col1", "col2"]
    assert parse_filter("name begins 'foo' and category gt 1").operands[1].operands == (1,)
    either = parse_filter("a eq 1 or b eq 2 and c eq 3")  # `and` binds tighter than `or`
    assert isinstance(either, Any_) and isinstance(either.operands[1], All)
    grouped = parse_filter("(a eq 1 or b eq 2) and not c eq 3")
    assert isinstance(grouped, All) and isinstance(grouped.operands[0], Any_) and isinstance(grouped.operands[1], Not)
    assert parse_filter("name eq 'O''Brien'").operands == ("O'Brien",)
    assert parse_filter("category/id = 5").column == "category/id"
    assert parse_filter("updated after datetime'2024-05-01T12:00:00'").operands == ("2024-05-01T12:00:00",)
    assert parse_filter("x eq true or y eq null or z eq -1.5").operands[2].operands == (-1.5,)


@pytest.mark.parametrize("text, column, words", [
    ("name begins", 12, "expected a value"),
    ("name begins 'S", 13, "unexpected character"),
    ("(a eq 1", 8, "expected ')'"),
    ("a zz 1", 3, "expected an operator"),
    ("a eq 1 b eq 2", 8, "expected 'and', 'or'"),
    ("a eq 1 and", 11, "expected a column name"),
    ("saleId between (1)", 8, "between takes 2 values"),
    ("category oneOf (1, 2", 21, "',' or ')'"),
    ("this(registered, fortnight)", 18, "the period of this()"),
    ("next(registered, month)", 1, "next() takes 3 arguments"),
    ("startswith('S', name)", 12, "argument 1 of startswith() must be a column name"),
    ("", 1, "the filter is empty"),
    ("name eq 'a' # comment", 13, "unexpected character '#'"),
])
def test_a_malformed_filter_says_what_is_wrong_and_at_which_column(text: str, column: int, words: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    assert caught.value.column == column and words in caught.value.message


def test_nesting_and_length_are_bounded_so_no_filter_can_exhaust_the_stack() -> None:
    assert parse_filter("(" * 60 + "a eq 1" + ")" * 60) == Condition("a", "eq", (1,), "eq")
    for deep in ("(" * 1_000 + "a eq 1" + ")" * 1_000, "not " * 1_000 + "a eq 1"):
        with pytest.raises(FilterError, match="nested more than 64 levels"):
            parse_filter(deep)
    with pytest.raises(FilterError, match="longer than"):
        parse_filter("a eq 1 and " * 2000 + "a eq 1")


# -- property tests ---------------------------------------------------------------------------------------------

_COLUMNS = st.sampled_from(["name", "saleId", "amount", "registered", "category/id", "done"])
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
_LITERALS = st.one_of(_TEXT, st.integers(-10**6, 10**6), st.booleans(), st.none(),
                      st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: round(f, 3)))


@st.composite
def _conditions(draw: st.DrawFn) -> Condition:
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(OPERATORS)))
        op = OPERATORS[name]
        fixed = {Arity.UNARY: 0, Arity.ONE: 1, Arity.TWO: 2}.get(op.arity)
        count = fixed if fixed is not None else draw(st.integers(1, 4))
        return Condition(draw(_COLUMNS), op.meaning, tuple(draw(_LITERALS) for _ in range(count)), op.name)
    function = FUNCTIONS[draw(st.sampled_from(sorted(FUNCTIONS)))]
    if function.meaning in ("contains", "begins", "ends"):
        operands: tuple = (draw(_TEXT),)
    else:
        period = draw(st.sampled_from(["day", "week", "month", "quarter", "half", "year"]))
        operands = (draw(st.integers(0, 12)), period) if function.literals == 2 else (period,)
    return Condition(draw(_COLUMNS), function.meaning, operands, function.name, call=True)


_TREES = st.recursive(_conditions(), lambda inner: st.one_of(
    inner.map(Not), st.lists(inner, min_size=2, max_size=3).map(lambda xs: All(tuple(xs))),
    st.lists(inner, min_size=2, max_size=3).map(lambda xs: Any_(tuple(xs)))), max_leaves=8)


def _flat(tree):
    """The tree with nested conjunctions (and disjunctions) merged: `(a and b) and c` is `a and b and c`."""
    if isinstance(tree, (All, Any_)):
        parts = []
        for part in map(_flat, tree.operands):
            parts.extend(part.operands if type(part) is type(tree) else (part,))
        return type(tree)(tuple(parts))
    return Not(_flat(tree.operand)) if isinstance(tree, Not) else tree


@settings(max_examples=300, deadline=None)
@given(_TREES)
def test_any_filter_tree_round_trips_through_its_text(tree) -> None:
    assert _flat(parse_filter(to_text(tree))) == _flat(tree)


_ROW = {"PrimaryKey": 7, "name": "Weissnat, McKenzie and Mante", "saleId": 7, "amount": 120.5,
        "registered": "2026-12-04T10:00:00+01:00", "category/id": 3, "done": False}


def _redraw(column: str, r: random.Random):
    pools = {"name": ["Johnson Group", "Langosh LLC", "Braun Group", "Smith AS", "Bergen Bygg"],
             "amount": [r.uniform(0, 1000)], "category/id": [r.randint(1, 9)], "done": [r.random() < 0.5],
             "registered": [f"2025-0{r.randint(1, 9)}-1{r.randint(0, 9)}T08:00:00Z"], "saleId": [7]}
    return r.choice(pools.get(column, [None]))


class _Columns:
    """The row's columns as `satisfy` sees a list's: values drawn from small pools, the id never changed."""

    redraw = staticmethod(_redraw)

    @staticmethod
    def fixed(column: str) -> bool:
        return column == "saleId"

    @staticmethod
    def fit(column: str, value):
        return value


COLUMNS = _Columns()
_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzSKBJ", min_size=2, max_size=5)
_NUMBERS = st.integers(-1000, 5000)
_DAYS = st.dates(date(2000, 1, 1), date(2040, 12, 31)).map(date.isoformat)
_PERIODS = st.sampled_from(["day", "week", "month", "quarter", "half", "year"])


@st.composite
def _meetable(draw: st.DrawFn, column: str) -> Condition:
    """A condition with operands of the column's type, which some value of the column meets."""
    if column == "name":
        name = draw(st.sampled_from(["eq", "ne", "contains", "notContains", "begins", "notBegins", "oneOf",
                                     "startswith", "endswith", "substringof"]))
        if name.lower() in FUNCTIONS:
            f = FUNCTIONS[name.lower()]
            return Condition(column, f.meaning, (draw(_WORDS),), f.name, call=True)
        count = draw(st.integers(1, 3)) if name == "oneOf" else 1
        return Condition(column, OPERATORS[name.lower()].meaning, tuple(draw(_WORDS) for _ in range(count)), name)
    if column == "amount":
        name = draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge", "between", "oneOf"]))
        values = sorted(draw(st.lists(_NUMBERS, min_size=2, max_size=2)))
        operands = tuple(values) if name == "between" else (values[0],)
        return Condition(column, OPERATORS[name.lower()].meaning, operands, name)
    name = draw(st.sampled_from(["before", "after", "date", "dateBetween", "today", "thisWeek", "lastMonth",
                                 "nextQuarter", "thisYear", "beforeToday", "afterToday", "this", "next",
                                 "previous", "thisAndNext"]))
    if name.lower() in FUNCTIONS:
        f = FUNCTIONS[name.lower()]
        operands = (draw(st.integers(1, 6)), draw(_PERIODS)) if f.literals == 2 else (draw(_PERIODS),)
        return Condition(column, f.meaning, operands, f.name, call=True)
    op = OPERATORS[name.lower()]
    days = sorted(draw(st.lists(_DAYS, min_size=2, max_size=2)))
    operands = () if op.arity is Arity.UNARY else tuple(days) if op.arity is Arity.TWO else (days[0],)
    return Condition(column, op.meaning, operands, op.name)


@st.composite
def _meetable_trees(draw: st.DrawFn):
    """`or` of `and`s, each `and` over distinct columns: a filter a row can always be made to meet."""
    def conjunction():
        columns = draw(st.lists(st.sampled_from(["name", "amount", "registered"]), min_size=1, max_size=3,
                                unique=True))
        parts = tuple(draw(_meetable(c)) for c in columns)
        return parts[0] if len(parts) == 1 else All(parts)
    branches = tuple(conjunction() for _ in range(draw(st.integers(1, 3))))
    return branches[0] if len(branches) == 1 else Any_(branches)


@settings(max_examples=400, deadline=None)
@given(_meetable_trees(), st.integers(0, 2**32))
def test_a_generated_row_made_to_fit_a_filter_matches_it(tree, seed: int) -> None:
    row = dict(_ROW)
    satisfy(tree, row, COLUMNS, random.Random(seed), TODAY)
    assert matches(tree, row, TODAY), (to_text(tree), row)
    assert parse_filter(to_text(tree)) is not None


@settings(max_examples=200, deadline=None)
@given(_TREES, st.integers(0, 2**32))
@example(parse_filter("not (done le -1)"), 0)  # a false `done` meets it, though it does not meet `done gt -1`
def test_a_row_that_matches_already_is_left_as_it_is(tree, seed: int) -> None:
    row = dict(_ROW)
    if matches(tree, row, TODAY):
        satisfy(tree, row, COLUMNS, random.Random(seed), TODAY)
        assert row == _ROW


@pytest.mark.parametrize("text", [
    "name begins 'S'", "name contains 'bygg'", "startswith(name, 'Kon')", "endswith(name, ' AS')",
    "amount gt 900", "amount between (10, 20)", "category/id oneOf (3, 4)", "category/id NotOneOf (1, 2, 3)",
    "registered today", "registered thisWeek", "registered lastMonth", "registered nextQuarter",
    "registered beforeToday", "registered afterToday", "this(registered, year)", "next(registered, 2, month)",
    "previous(registered, 3, day)", "registered before '2020-01-01'", "registered after '2030-05-01'",
    "registered date '2024-02-29'", "registered dateBetween ('2024-01-01', '2024-01-31')",
    "name eq 'X' or amount lt 5", "not name begins 'W' and done eq true", "done set", "category/id currentAssociate",
])
def test_each_kind_of_condition_can_be_met_by_a_generated_row(text: str) -> None:
    tree = parse_filter(text)
    for seed in range(20):
        row = dict(_ROW)
        satisfy(tree, row, COLUMNS, random.Random(seed), TODAY)
        assert matches(tree, row, TODAY), (seed, row)


def test_relative_dates_are_ranges_of_days_around_the_clock() -> None:
    assert period_start(TODAY, "week", 0) == (date(2026, 11, 30), date(2026, 12, 7))  # weeks start on Monday
    assert period_start(TODAY, "month", 1) == (date(2027, 1, 1), date(2027, 2, 1))
    assert period_start(TODAY, "quarter", -1) == (date(2026, 7, 1), date(2026, 10, 1))
    assert period_start(TODAY, "half", 0) == (date(2026, 7, 1), date(2027, 1, 1))
    assert date_range(parse_filter("next(d, 2, month)"), TODAY) == (date(2027, 1, 1), date(2027, 3, 1))
    assert date_range(parse_filter("thisAndPreviousAndNext(d, week)"), TODAY) == (date(2026, 11, 23),
                                                                                   date(2026, 12, 14))
    row = {"d": "2026-12-06T23:30:00Z", "n": 5, "t": "Straße"}
    assert matches(parse_filter("d today and d thisWeek and d thisYear and not d lastWeek"), row, TODAY)
    assert matches(parse_filter("d after '2026-12-05' and d before '2026-12-07' and d date '2026-12-06'"), row, TODAY)
    assert matches(parse_filter("n eq '5' and n ge 5 and n between (5, 5) and t begins 'STR'"), row, TODAY)
    assert not matches(parse_filter("d beforeToday or d afterToday or missing eq 1"), row, TODAY)
