"""Canonical records: the fast path of canonical_json is byte-for-byte rfc8785."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from stargate.ledger.entry import _plain, canonical_json, to_json_value

keys = st.text(min_size=0, max_size=8)  # any Unicode, control characters included
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53) + 1, 2**53 - 1),
    st.text(max_size=20),
    st.floats(allow_nan=False, allow_infinity=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=20,
)


def _no_surrogates(value: Any) -> bool:
    if isinstance(value, str):
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return all(_no_surrogates(k) and _no_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_no_surrogates(v) for v in value)
    return True


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, values, max_size=6))
def test_canonical_json_is_rfc8785(record: dict[str, Any]) -> None:
    if not _no_surrogates(record):
        return
    assert canonical_json(record) == rfc8785.dumps(record).decode("utf-8")
    if _plain(record):
        # the fast path was taken: and it must agree too
        assert canonical_json(record, plain=True) == rfc8785.dumps(record).decode("utf-8")


def test_known_canonical_forms() -> None:
    # RFC 8785 §3.2.3: keys sorted by UTF-16 code units; numbers as ECMAScript writes them
    record = {"\u20ac": 1, "\r": 2, "1": 3, "\U0001f600": 4, "\u0080": 5, "\u00f6": 6}
    assert canonical_json(record) == rfc8785.dumps(record).decode()
    assert canonical_json({"a": 1e21, "b": 0.1, "c": -0.0}) == '{"a":1e+21,"b":0.1,"c":0}'
    assert canonical_json({"s": '\u2028\x1f"\\'}) == '{"s":"\u2028\\u001f\\"\\\\"}'


def test_decimals_keep_their_digits() -> None:
    body = to_json_value({"amount_usd": Decimal("12.50"), "x": [Decimal("1E+3")]}, "body")
    assert body == {"amount_usd": "12.50", "x": ["1E+3"]}
