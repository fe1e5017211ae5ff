"""Hypothesis strategies for the outside data the tray meets: API JSON, credentials, the cache, stdin.

Each mixes wholly random values with documents shaped like the real ones (the keys the parsers look for,
holding values of any type), because random JSON alone almost never reaches the code behind a key.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

# Every JSON value json.loads can produce, including the NaN and ±Infinity it accepts.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)

aware_datetimes = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=5, minutes=30)),
                               timezone(timedelta(hours=-8)), timezone(timedelta(hours=14))]),
)


@st.composite
def timestamp_values(draw: st.DrawFn) -> object:
    """What a `resets_at` / `expiresAt` / `at` field may hold: real ISO text, epochs, or anything."""
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(aware_datetimes).isoformat()
    if kind == 1:
        return draw(aware_datetimes).isoformat().replace("+00:00", "Z")
    if kind == 2:
        return draw(st.one_of(st.integers(-(10**20), 10**20), st.floats()))
    if kind == 3:
        return draw(st.from_regex(r"\A[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}T[0-9:.+\-Zz]{0,20}\Z"))
    return draw(json_values)


numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**400), 10**400), json_values)
window = st.one_of(json_values, st.fixed_dictionaries(
    {"utilization": numbers, "resets_at": timestamp_values()}, optional={"extra": json_values}))
limit_entry = st.one_of(json_values, st.fixed_dictionaries(
    {"kind": st.sampled_from(["session", "weekly_all", "weekly_scoped", "other"]) | json_values,
     "percent": numbers, "resets_at": timestamp_values()},
    optional={"severity": json_values, "scope": st.one_of(json_values, st.fixed_dictionaries(
        {"model": st.one_of(json_values, st.fixed_dictionaries({"display_name": json_values, "id": json_values}))}
    ))},
))
extra_usage = st.one_of(json_values, st.fixed_dictionaries(
    {"is_enabled": json_values, "monthly_limit": numbers, "used_credits": numbers, "utilization": numbers,
     "currency": json_values}, optional={"decimal_places": json_values}))

usage_documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "five_hour": window, "seven_day": window, "seven_day_opus": window,
            "seven_day_" + "x": window, "extra_usage": extra_usage,
            "limits": st.one_of(json_values, st.lists(limit_entry, max_size=6)),
            "spend": json_values,
        },
    ),
)

credentials_documents = st.one_of(
    json_values,
    st.fixed_dictionaries({"claudeAiOauth": st.one_of(json_values, st.fixed_dictionaries(
        {},
        optional={"accessToken": json_values, "refreshToken": json_values, "expiresAt": numbers,
                  "scopes": st.one_of(json_values, st.lists(st.sampled_from(["user:profile", "user:inference"]))),
                  "subscriptionType": json_values, "rateLimitTier": json_values},
    ))}, optional={"mcpOAuth": json_values}),
)

gate_sections = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "next_fetch_at": timestamp_values(), "reason": json_values, "backoff_step": numbers,
    "unchanged_count": numbers, "interval_s": numbers, "blocked_token": json_values,
    "last_attempt_at": timestamp_values(), "last_manual_at": timestamp_values()}))
stored_window = st.one_of(json_values, st.fixed_dictionaries({
    "key": st.sampled_from(["five_hour", "seven_day", "seven_day_opus", "model:fable"]) | json_values,
    "label": st.text(max_size=20) | json_values, "utilization": numbers, "resets_at": timestamp_values(),
    "period_s": numbers}, optional={"severity": json_values}))
tray_sections = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "version": json_values,
    "usage": st.one_of(json_values, st.fixed_dictionaries({}, optional={
        "five_hour": stored_window, "seven_day": stored_window,
        "models": st.one_of(json_values, st.lists(stored_window, max_size=3)), "extra": extra_usage})),
    "fetched_at": timestamp_values(), "source": json_values, "plan": json_values,
    "last_error": st.one_of(json_values, st.fixed_dictionaries({
        "at": timestamp_values(), "kind": json_values | st.sampled_from(["auth", "rate_limited", "network"]),
        "message": json_values, "status": numbers, "body_excerpt": json_values})),
    "gate": gate_sections,
    "notified": st.one_of(json_values, st.dictionaries(st.text(max_size=30), json_values, max_size=3)),
    "history": st.one_of(json_values, st.lists(st.one_of(json_values, st.fixed_dictionaries(
        {"at": timestamp_values(), "5h": numbers, "7d": numbers},
        optional={"5h_resets_at": timestamp_values(), "7d_resets_at": timestamp_values(),
                  "event": json_values})), max_size=6)),
}))
pro_blocks = st.one_of(json_values, st.fixed_dictionaries({
    "five_hour_pct": numbers, "five_hour_resets_at": timestamp_values(), "seven_day_pct": numbers,
    "seven_day_resets_at": timestamp_values()}))
cache_documents = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={"tray": tray_sections, "pro": pro_blocks,
                                        "updated_at": timestamp_values(), "code": json_values}),
)

stdin_window = st.one_of(json_values, st.fixed_dictionaries(
    {"used_percentage": numbers, "resets_at": timestamp_values()}))
stdin_documents = st.one_of(
    json_values,
    st.fixed_dictionaries({"rate_limits": st.one_of(json_values, st.fixed_dictionaries(
        {}, optional={"five_hour": stdin_window, "seven_day": stdin_window}))},
        optional={"model": json_values, "session_id": json_values}),
)


def encode(document: object) -> str:
    """JSON text as another program might write it: NaN and Infinity included (Python and JS emit them)."""
    return json.dumps(document)


def as_bytes(documents: st.SearchStrategy[object]) -> st.SearchStrategy[bytes]:
    """The document encoded, truncated at a random point, or plain random bytes."""
    encoded = documents.map(lambda d: encode(d).encode("utf-8"))
    truncated = st.tuples(encoded, st.floats(0, 1)).map(lambda pair: pair[0][: int(len(pair[0]) * pair[1])])
    return st.one_of(encoded, truncated, st.binary(max_size=200))
