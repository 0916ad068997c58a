"""Hostile values that know what they mean: the generators of the fuzz suite.

Every generated value is a :class:`Written`: the text written into a file (a YAML value, a CSV
cell, a command-line argument) together with what that text *means* — the value a careful
reader takes it to be, or :data:`BAD` when it means nothing that can be constructed (an
impossible date, ``!!int seventy``, a YAML 1.1 octal ``017``). The properties then check that a
loader either refuses the value with a located message, or loads exactly the meant value:
``count: yes`` loaded as 1, a date moved by an offset or a number rounded is a *silent change*
and fails the property.

Kinds of meaning: ``int``, ``float``, ``bool``, ``null``, ``str``, ``date``, ``datetime``,
``list`` and ``bad``. What a field of a given kind must do with each is decided by
:func:`verdict`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from stargate.domain import limits


class _Bad:
    def __repr__(self) -> str:
        return "BAD"


#: The meaning of a text that cannot be constructed (or that YAML would misread).
BAD: Any = _Bad()


@dataclass(frozen=True)
class Written:
    """A text as written, and the value it means (:data:`BAD` if none)."""

    text: str
    value: Any
    kind: str

    def __repr__(self) -> str:
        return f"Written({self.text!r} means {self.value!r})"


# --------------------------------------------------------------------------- scalars


def _int(n: int) -> Written:
    return Written(str(n), n, "int")


def _float_text(x: float) -> str:
    if math.isnan(x):
        return ".nan"
    if math.isinf(x):
        return ".inf" if x > 0 else "-.inf"
    text = repr(x)
    # YAML 1.1 needs a '.' in a float (PyYAML reads 1e+30 as text, which pydantic parses)
    if "." not in text and "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}.0e{exp}"
    return text


def _float(x: float) -> Written:
    return Written(_float_text(x), x, "float")


ints = st.one_of(
    st.integers(min_value=-3, max_value=3),
    st.integers(min_value=1, max_value=limits.MAX_ACCELERATORS),
    st.sampled_from([limits.MAX_ACCELERATORS, limits.MAX_ACCELERATORS + 1, 2**53 + 1, 2**63]),
    st.integers(min_value=-(10**40), max_value=10**40),
).map(_int)

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=1e-3, max_value=1e4),
    st.sampled_from([0.5, 1.2, 24.0, float(limits.MAX_DURATION_H), limits.MAX_DURATION_H + 1.0]),
    st.sampled_from([1e300, -1e300, 5e-324, 1e15, 1e16]),
).map(_float)

_BOOL_WORDS = ["yes", "Yes", "YES", "no", "No", "on", "On", "off", "OFF", "true", "True", "false"]
booleans = st.sampled_from(_BOOL_WORDS).map(
    lambda w: Written(w, w.lower() in ("yes", "on", "true"), "bool")
)

nulls = st.sampled_from(["~", "null", "Null", "NULL"]).map(lambda w: Written(w, None, "null"))

# Text written as a JSON string (valid YAML in double quotes): every code point YAML's reader
# accepts; lone surrogates cannot be written to a UTF-8 file at all.
_TEXT = st.text(
    # (no line or paragraph separators either: YAML folds them inside quotes)
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff"
    ),
    max_size=40,
)
strings = st.one_of(
    _TEXT.map(lambda s: Written(json.dumps(s, ensure_ascii=False), s, "str")),
    st.sampled_from(["east", "h100", "Ünïcødé 🚀", "a" * 300, "y", "n", "NaN", "1e5", "0x"]).map(
        lambda s: Written(json.dumps(s, ensure_ascii=False), s, "str")
    ),
    # quoted numbers and dates: text, whatever they look like
    st.sampled_from(["'7'", "'017'", "'2026-01-01'", "'true'"]).map(
        lambda s: Written(s, s[1:-1], "str")
    ),
)


def _date(d: date) -> Written:
    return Written(d.isoformat(), d, "date")


def _impossible(ymd: tuple[int, int, int]) -> Written:
    y, m, d = ymd
    return Written(f"{y:04d}-{m:02d}-{d:02d}", BAD, "bad")


dates = st.one_of(
    st.dates().map(_date),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)).map(_date),
    st.sampled_from(
        [limits.EARLIEST_DAY, limits.LATEST_DAY, date(1899, 12, 31), date(2200, 1, 1)]
    ).map(_date),
    st.tuples(st.integers(1, 9999), st.sampled_from([2, 4, 6, 9, 11]), st.just(31)).map(
        _impossible
    ),
    st.tuples(st.integers(1, 9999), st.just(2), st.just(30)).map(_impossible),
    st.tuples(st.just(0), st.integers(1, 12), st.integers(1, 28)).map(_impossible),
)


def _moment(args: tuple[datetime, int]) -> Written:
    naive, offset_min = args
    naive = naive.replace(microsecond=0)  # written to the second
    sign = "+" if offset_min >= 0 else "-"
    hh, mm = divmod(abs(offset_min), 60)
    text = f"{naive.isoformat(timespec='seconds')}{sign}{hh:02d}:{mm:02d}"
    if abs(offset_min) >= 24 * 60:
        return Written(text, BAD, "bad")
    try:
        value = naive.replace(tzinfo=timezone(timedelta(minutes=offset_min)))
        value.astimezone(UTC)  # an instant that leaves datetime's range has no meaning either
    except (OverflowError, ValueError):
        return Written(text, BAD, "bad")
    return Written(text, value, "datetime")


datetimes = st.tuples(
    st.one_of(
        st.datetimes(),
        st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2031, 1, 1)),
    ),
    st.one_of(st.integers(-24 * 60 - 90, 24 * 60 + 90), st.just(0), st.sampled_from([330, -300])),
).map(_moment)

_WORDS = ["seventy", "soon", "cheap", "many", "", "1.5.2", "0x"]
tagged = st.one_of(
    st.integers(-1000, 1000).map(lambda n: Written(f"!!int {n}", n, "int")),
    st.sampled_from(_WORDS[:4]).map(lambda w: Written(f"!!int {w}", BAD, "bad")),
    st.sampled_from(_WORDS[:4]).map(lambda w: Written(f"!!float {w}", BAD, "bad")),
    st.sampled_from(_WORDS[:4]).map(lambda w: Written(f"!!timestamp {w}", BAD, "bad")),
    st.sampled_from(_WORDS[:4]).map(lambda w: Written(f"!!bool {w}", BAD, "bad")),
    st.integers(0, 99).map(lambda n: Written(f"!!str {n}", str(n), "str")),
    st.sampled_from(["ZWFzdA==", "aGVsbG8="]).map(lambda b: Written(f"!!binary {b}", BAD, "bad")),
    st.sampled_from(
        ["!!python/name:os.system", "!!python/object/apply:os.getcwd []", "!local x", "!!set {}"]
    ).map(lambda t: Written(t, BAD, "bad")),
)

# YAML 1.1 numbers that do not mean what they show: 017 is 15, 1:30 is 90
ambiguous = st.one_of(
    st.integers(1, 7777).map(lambda n: Written(f"0{n:o}", BAD, "bad")),
    st.tuples(st.integers(1, 99), st.integers(0, 59)).map(
        lambda t: Written(f"{t[0]}:{t[1]:02d}", BAD, "bad")
    ),
)

#: Every scalar: what the CSV cells, CLI options and YAML values are drawn from.
scalars = st.one_of(ints, floats, booleans, nulls, strings, dates, datetimes, tagged, ambiguous)

# --------------------------------------------------------------------------- structures

structures = st.one_of(
    st.integers(1, 6).map(lambda n: Written("[" * n + "1" + "]" * n, BAD, "list")),
    st.just(Written("[" * 600 + "]" * 600, BAD, "list")),  # deeper than the reader recurses
    st.just(Written("&a [*a]", BAD, "list")),  # a value that contains itself
    st.just(Written("{a: 1}", BAD, "list")),
    st.just(Written("[]", [], "list")),
)

#: What a YAML field's value is drawn from: scalars and collections.
yaml_values = st.one_of(scalars, structures)


# --------------------------------------------------------------------------- verdicts

#: A field must refuse the value.
REFUSE = "refuse"
#: A field may refuse the value (its own range); if it accepts, it must hold the meant value.
EXACT = "exact"


@dataclass(frozen=True)
class Verdict:
    """What a field of a kind must do with a written value: ``refuse``, or be ``exact``
    (refuse, or hold ``expected``)."""

    rule: str
    expected: Any = None


def _number_of(w: Written) -> float | int | None:
    """The number a value means to a numeric field (text such as '7' is parsed by the field,
    as pydantic does), or None when it is not a number."""
    if w.kind in ("int", "float"):
        return w.value  # type: ignore[no-any-return]
    if w.kind == "str":
        try:
            return int(w.value)
        except ValueError:
            pass
        try:
            number = float(w.value)
        except ValueError:
            return None
        return number
    return None


def verdict(field_kind: str, w: Written, optional: bool = False) -> Verdict:
    """What a field of ``field_kind`` (count, hours, number, money, day, text, id, version)
    must do with ``w``; null is the field left unset when it is ``optional``."""
    if optional and w.kind == "null":
        return Verdict(EXACT, None)
    if w.value is BAD or w.kind in ("bad", "list", "bool", "null"):
        # booleans are never numbers; null is not a value of a required field; no scalar
        # field takes a list
        return Verdict(REFUSE)
    if field_kind in ("count", "version"):
        n = _number_of(w)
        if n is None or (isinstance(n, float) and not (math.isfinite(n) and n.is_integer())):
            return Verdict(REFUSE)
        n = int(n)
        if n < 1 or n > limits.MAX_ACCELERATORS or (field_kind == "version" and n != 1):
            return Verdict(REFUSE)
        return Verdict(EXACT, n)
    if field_kind in ("hours", "number", "money"):
        n = _number_of(w)
        if n is None or not math.isfinite(n):
            return Verdict(REFUSE)
        if field_kind == "hours" and (n <= 0 or n > limits.MAX_DURATION_H):
            return Verdict(REFUSE)
        if field_kind == "money" and abs(Decimal(repr(n))) > limits.MAX_USD:
            return Verdict(REFUSE)
        return Verdict(EXACT, n)
    if field_kind == "day":
        if w.kind == "date":
            d = w.value
        elif w.kind == "str":
            try:
                d = date.fromisoformat(w.value)
            except ValueError:
                return Verdict(REFUSE)
            if len(w.value) != 10:
                return Verdict(EXACT, d)
        elif w.kind == "datetime":
            t = w.value
            if (t.hour, t.minute, t.second, t.microsecond) != (0, 0, 0, 0):
                return Verdict(REFUSE)  # a time of day is not a day
            d = t.date()  # the day as written (a day has no time zone)
        else:
            return Verdict(REFUSE)  # a number is not a date (not a Unix time either)
        if not limits.EARLIEST_DAY <= d <= limits.LATEST_DAY:
            return Verdict(REFUSE)
        return Verdict(EXACT, d)
    if field_kind in ("text", "id"):
        if w.kind != "str":
            return Verdict(REFUSE)
        return Verdict(EXACT, w.value)
    raise AssertionError(f"unknown field kind {field_kind}")


def same(loaded: Any, expected: Any) -> bool:
    """Whether a loaded value is exactly the meant one (numbers compared as numbers, with
    Decimal money compared at the float that was written)."""
    if loaded is None or expected is None:
        return loaded is expected
    if isinstance(loaded, bool) != isinstance(expected, bool):
        return False
    if isinstance(loaded, Decimal) and isinstance(expected, int | float):
        return loaded == Decimal(repr(expected)) or float(loaded) == expected
    if isinstance(loaded, int | float) and isinstance(expected, int | float):
        return loaded == expected
    return type(loaded) is type(expected) and loaded == expected
