"""The `$filter` language of SuperOffice's OData lists: parsing it into a tree, and the operators it knows.

The grammar (keywords and operators in any case; the operator table is the one the list pages document):

    filter     := disjunction
    disjunction:= conjunction ("or" conjunction)*
    conjunction:= negation ("and" negation)*
    negation   := "not" negation | primary
    primary    := "(" disjunction ")" | call | condition
    call       := FUNCTION "(" argument ("," argument)* ")"     startswith(name, 'S'), substringof('x', name)
    condition  := COLUMN UNARY                                   registered thisWeek
                | COLUMN BINARY operand                          name begins 'S', category gt 1
    operand    := literal | "(" literal ("," literal)* ")"       saleId between (1, 100), category oneOf (3, 4)
    literal    := 'text' (a quote doubled inside) | "text" | number | true | false | null | datetime'...'
    COLUMN     := a name with `/` or `.` between parts           category/id

Parsing is one pass over the text with one token of look-ahead, so its time is linear in the length of the
filter; nesting is bounded (MAX_DEPTH) so that no filter can exhaust the stack. A malformed filter raises
FilterError with the 1-based column of the offending token.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Union

MAX_DEPTH = 64
MAX_LENGTH = 8192
MAX_CONDITIONS = 32   # conditions in one filter: each one is met row by row
MAX_VALUES = 100      # values in one list (`oneOf (1, 2, ...)`)
MAX_ALL_VALUES = 200  # values in the whole filter
MAX_NUMBER_DIGITS = 30
MAX_PERIODS = 1000    # the count of next(f, n, period) and its kin


class FilterError(ValueError):
    """A `$filter` that does not parse: `column` is the 1-based position in the filter text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.message = message
        self.column = column


class Arity(Enum):
    UNARY = "unary"  # no operand:            registered thisWeek
    ONE = "one"      # one literal:           name begins 'S'
    TWO = "two"      # two literals:          saleId between (1, 100)
    MANY = "many"    # one or more literals:  category oneOf (3, 4)


@dataclass(frozen=True, slots=True)
class Operator:
    name: str      # the canonical spelling, as documented
    arity: Arity
    meaning: str   # what it tests: the key of the predicate and satisfier tables (odata.rows)


# Operators by lower-case spelling. Aliases share the meaning of the operator they stand for.
_OPERATORS: dict[str, Operator] = {}


def _op(names: str, arity: Arity, meaning: str) -> None:
    for name in names.split():
        _OPERATORS[name.lower()] = Operator(name, arity, meaning)


_op("eq = equals is", Arity.ONE, "eq")
_op("ne unequals isNot", Arity.ONE, "ne")
_op("lt less", Arity.ONE, "lt")
_op("le", Arity.ONE, "le")
_op("gt greater", Arity.ONE, "gt")
_op("ge", Arity.ONE, "ge")
_op("between", Arity.TWO, "between")
_op("contains", Arity.ONE, "contains")
_op("notContains", Arity.ONE, "notcontains")
_op("begins", Arity.ONE, "begins")
_op("notBegins", Arity.ONE, "notbegins")
_op("in oneOf associateIsOneOf", Arity.MANY, "oneof")
_op("NotOneOf associateIsNotOneOf", Arity.MANY, "notoneof")
_op("before", Arity.ONE, "before")
_op("after", Arity.ONE, "after")
_op("date", Arity.ONE, "date")
_op("dateBetween", Arity.TWO, "between")
_op("set", Arity.UNARY, "set")
_op("currentAssociate", Arity.UNARY, "currentassociate")
for _period in ("beforeToday today afterToday lastWeek thisWeek nextWeek lastMonth thisMonth nextMonth "
                "lastQuarter thisQuarter nextQuarter thisHalf thisYear").split():
    _op(_period, Arity.UNARY, _period.lower())
OPERATORS: dict[str, Operator] = dict(_OPERATORS)


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    column_at: int        # which argument is the column
    literals: int         # how many literal arguments besides it (a period counts as one)
    meaning: str
    optional_count: bool = False  # (f, period) and (f, n, period) are both accepted


FUNCTIONS: dict[str, Function] = {f.name.lower(): f for f in (
    Function("substringof", 1, 1, "contains"),
    Function("startswith", 0, 1, "begins"),
    Function("endswith", 0, 1, "ends"),
    Function("this", 0, 1, "this"),
    Function("next", 0, 2, "next"),
    Function("previous", 0, 2, "previous"),
    Function("thisAndNext", 0, 2, "thisandnext"),
    Function("thisAndPrevious", 0, 2, "thisandprevious"),
    Function("thisAndPreviousAndNext", 0, 2, "thisandpreviousandnext", optional_count=True),
)}
PERIODS = ("day", "week", "month", "quarter", "half", "year")

Literal = Union[str, int, float, bool, None]


@dataclass(frozen=True, slots=True)
class Condition:
    """`column operator operands`, or a function call (`call` is its name) on one column."""

    column: str
    meaning: str
    operands: tuple[Literal, ...] = ()
    spelling: str = ""   # the operator or function as written, for the canonical text
    call: bool = False


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class All:
    """A conjunction (`and`)."""
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    """A disjunction (`or`)."""
    operands: tuple[Expr, ...]


Expr = Union[Condition, Not, All, Any_]

# -- tokens ---------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<datetime>datetime'[^']*')
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w/]))
  | (?P<name>[A-Za-z_][\w]*(?:[./:][A-Za-z_0-9][\w]*)*)
  | (?P<punct>[(),=])
""", re.VERBOSE)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str   # string | number | name | punct | end
    text: str
    column: int
    value: Literal = None


def _tokens(text: str) -> Iterator[_Token]:
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FilterError(f"unexpected character {text[pos]!r}", pos + 1)
        kind = m.lastgroup or ""
        raw = m.group()
        if kind == "string":
            yield _Token("string", raw, pos + 1, raw[1:-1].replace(raw[0] * 2, raw[0]))
        elif kind == "datetime":
            yield _Token("string", raw, pos + 1, raw[len("datetime'"):-1])
        elif kind == "number":
            if len(raw) > MAX_NUMBER_DIGITS:
                raise FilterError(f"a number of more than {MAX_NUMBER_DIGITS} characters", pos + 1)
            yield _Token("number", raw, pos + 1, float(raw) if any(c in raw for c in ".eE") else int(raw))
        elif kind != "space":
            yield _Token(kind, raw, pos + 1)
        pos = m.end()
    yield _Token("end", "", len(text) + 1)


_WORD_LITERALS: dict[str, Literal] = {"true": True, "false": False, "null": None}


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.token = next(self.tokens)
        self.depth = 0
        self.count = 0  # conditions so far
        self.values = 0  # values so far

    def advance(self) -> _Token:
        token = self.token
        self.token = next(self.tokens)
        return token

    def keyword(self, word: str) -> bool:
        if self.token.kind == "name" and self.token.text.lower() == word:
            self.advance()
            return True
        return False

    def punct(self, char: str) -> bool:
        if self.token.kind == "punct" and self.token.text == char:
            self.advance()
            return True
        return False

    def expect(self, char: str, what: str) -> None:
        if not self.punct(char):
            raise FilterError(f"expected {what}, found {self._shown()}", self.token.column)

    def _shown(self) -> str:
        return "the end of the filter" if self.token.kind == "end" else repr(self.token.text)

    def parse(self) -> Expr:
        if self.token.kind == "end":
            raise FilterError("the filter is empty", 1)
        expr = self.disjunction()
        if self.token.kind != "end":
            raise FilterError(f"expected 'and', 'or' or the end of the filter, found {self._shown()}",
                              self.token.column)
        return expr

    def disjunction(self) -> Expr:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Any_(tuple(parts))

    def conjunction(self) -> Expr:
        parts = [self.negation()]
        while self.keyword("and"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def negation(self) -> Expr:
        if self.token.kind == "name" and self.token.text.lower() == "not":
            self.nest()
            self.advance()
            inner = Not(self.negation())
            self.depth -= 1
            return inner
        return self.primary()

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError(f"nested more than {MAX_DEPTH} levels deep", self.token.column)

    def primary(self) -> Expr:
        token = self.token
        if self.punct("("):
            self.nest()
            inner = self.disjunction()
            self.expect(")", "')'")
            self.depth -= 1
            return inner
        if token.kind != "name" or token.text.lower() in ("and", "or"):
            raise FilterError(f"expected a column name, a function or '(', found {self._shown()}", token.column)
        self.advance()
        function = FUNCTIONS.get(token.text.lower())
        if function is not None and self.punct("("):
            return self.call(function, token)
        return self.condition(token)

    def counted(self, at: int) -> None:
        self.count += 1
        if self.count > MAX_CONDITIONS:
            raise FilterError(f"more than {MAX_CONDITIONS} conditions", at)

    def condition(self, column: _Token) -> Condition:
        self.counted(column.column)
        token = self.token
        name = token.text.lower() if token.kind in ("name", "punct") else ""
        operator = OPERATORS.get(name)
        if operator is None:
            known = "eq, ne, lt, gt, begins, contains, oneOf, between, before, after, today ..."
            raise FilterError(f"expected an operator after {column.text!r} ({known}), found {self._shown()}",
                              token.column)
        self.advance()
        if operator.arity is Arity.UNARY:
            return Condition(column.text, operator.meaning, (), operator.name)
        operands = self.operands()
        wanted = {Arity.ONE: 1, Arity.TWO: 2}.get(operator.arity)
        if wanted is not None and len(operands) != wanted:
            raise FilterError(f"{operator.name} takes {wanted} value{'s' if wanted > 1 else ''}, "
                              f"not {len(operands)}", token.column)
        return Condition(column.text, operator.meaning, operands, operator.name)

    def operands(self) -> tuple[Literal, ...]:
        if self.punct("("):
            values = [self.literal()]
            while self.punct(","):
                if len(values) == MAX_VALUES:
                    raise FilterError(f"more than {MAX_VALUES} values in one list", self.token.column)
                values.append(self.literal())
            self.expect(")", "',' or ')' in the list of values")
            return tuple(values)
        return (self.literal(),)

    def literal(self) -> Literal:
        token = self.token
        self.values += 1
        if self.values > MAX_ALL_VALUES:
            raise FilterError(f"more than {MAX_ALL_VALUES} values in the filter", token.column)
        if token.kind in ("string", "number"):
            self.advance()
            return token.value
        if token.kind == "name" and token.text.lower() in _WORD_LITERALS:
            self.advance()
            return _WORD_LITERALS[token.text.lower()]
        raise FilterError(f"expected a value ('text', a number, true, false or null), found {self._shown()}",
                          token.column)

    def call(self, function: Function, name: _Token) -> Condition:
        self.counted(name.column)
        args: list[tuple[_Token, Literal | str]] = []
        while True:
            token = self.token
            if token.kind == "name" and token.text.lower() not in _WORD_LITERALS:
                self.advance()
                args.append((token, token.text))
            else:
                args.append((token, self.literal()))
            if not self.punct(","):
                break
        self.expect(")", f"',' or ')' closing {function.name}(")
        counts = {function.literals + 1} | ({function.literals} if function.optional_count else set())
        if len(args) not in counts:
            raise FilterError(f"{function.name}() takes {' or '.join(map(str, sorted(counts)))} arguments, "
                              f"not {len(args)}", name.column)
        column_token, column = args[function.column_at]
        if column_token.kind != "name" or column_token.text.lower() in _WORD_LITERALS:
            raise FilterError(f"argument {function.column_at + 1} of {function.name}() must be a column name",
                              column_token.column)
        literals = [value for i, (_, value) in enumerate(args) if i != function.column_at]
        for i, (token, value) in enumerate(args):
            if i != function.column_at and token.kind == "name" and not (
                    function.meaning not in ("contains", "begins", "ends") and i == len(args) - 1):
                raise FilterError(f"argument {i + 1} of {function.name}() must be a value, not a column",
                                  token.column)
        if function.meaning not in ("contains", "begins", "ends"):
            period = str(literals[-1]).lower()
            if period not in PERIODS:
                raise FilterError(f"the period of {function.name}() is one of {', '.join(PERIODS)}, not "
                                  f"{literals[-1]!r}", args[-1][0].column)
            if len(literals) == 2 and not (isinstance(literals[0], int) and not isinstance(literals[0], bool)
                                           and 0 <= literals[0] <= MAX_PERIODS):
                raise FilterError(f"the count of {function.name}() must be a whole number from 0 to {MAX_PERIODS}",
                                  args[1][0].column)
            literals[-1] = period
        return Condition(str(column), function.meaning, tuple(literals), function.name, call=True)


def parse_filter(text: str) -> Expr:
    """The tree of a `$filter` value; FilterError (with the column) when it is malformed."""
    if len(text) > MAX_LENGTH:
        raise FilterError(f"the filter is longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    return _Parser(text).parse()


# -- writing a tree back as text ------------------------------------------------------------------------------------

def _literal_text(value: Literal) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + value.replace("'", "''") + "'"


def to_text(expr: Expr) -> str:
    """A filter that parses back to `expr` (used by the tests, and to show a filter in messages)."""
    if isinstance(expr, Condition):
        if expr.call:
            args = [_literal_text(v) if i < len(expr.operands) - 1 or expr.meaning in ("contains", "begins", "ends")
                    else str(v) for i, v in enumerate(expr.operands)]
            args.insert(FUNCTIONS[expr.spelling.lower()].column_at, expr.column)
            return f"{expr.spelling}({', '.join(args)})"
        if not expr.operands:
            return f"{expr.column} {expr.spelling}"
        if len(expr.operands) == 1 and OPERATORS[expr.spelling.lower()].arity is Arity.ONE:
            return f"{expr.column} {expr.spelling} {_literal_text(expr.operands[0])}"
        return f"{expr.column} {expr.spelling} ({', '.join(map(_literal_text, expr.operands))})"
    if isinstance(expr, Not):
        return f"not ({to_text(expr.operand)})"
    joiner = " and " if isinstance(expr, All) else " or "
    return joiner.join(f"({to_text(e)})" for e in expr.operands)


def conditions(expr: Expr) -> Iterator[Condition]:
    """Every condition in the tree, left to right."""
    if isinstance(expr, Condition):
        yield expr
    elif isinstance(expr, Not):
        yield from conditions(expr.operand)
    else:
        for e in expr.operands:
            yield from conditions(e)
