"""Every parser that meets outside data, fuzzed: only the project's own errors may come out (SPEC §8).

Each test runs a hypothesis search (200 examples in CI, 10,000 in the recorded run: see conftest) and
reports how many examples it really ran, so the figures in docs/RELIABILITY.md are counted, not assumed.
"""

from __future__ import annotations

import io
import json
import os
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from hypothesis import example, given
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from tests.reliability import strategies as gen
from tests.reliability.conftest import TOKEN, TOKEN_CORE, canary_credentials
from tests.test_app import StandInIcon
from tray import statusline
from tray.base.timeparse import parse_timestamp
from tray.desktop.app import TrayApp
from tray.errors import BadResponse, CredentialsError
from tray.model.state import shared_keys, state_from_cache
from tray.model.usage import Usage, parse_usage
from tray.sources.credentials.model import Credentials, parse_credentials
from tray.sources.endpoint import MAX_RETRY_AFTER_S, parse_retry_after
from tray.store.cache import read_cache

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
DEEP = "[" * 100_000  # json.loads raises RecursionError, not ValueError, on nesting this deep
LINE = re.compile(r"5h:(-?\d+%|--) 7d:(-?\d+%|--)\n")  # figures are shown as Claude Code sent them


def test_usage_json_parses_or_is_a_bad_response_and_what_parses_survives_the_cache(figures) -> None:
    runs = [0]

    @given(gen.usage_documents.map(gen.encode))
    @example('{"five_hour": {"utilization": 1e400}}')  # "Infinity" after decoding
    @example('{"five_hour": {"utilization": ' + "9" * 400 + "}}")  # an int no float can hold
    @example('{"seven_day": {"utilization": 5, "resets_at": "9999-12-31T23:59:59Z"}}')
    def check(text: str) -> None:
        runs[0] += 1
        try:
            usage = parse_usage(json.loads(text))
        except BadResponse:
            return
        # What was parsed must be writable to the cache (no NaN/Infinity) and read back the same.
        stored = json.dumps(usage.to_dict(), allow_nan=False)
        assert Usage.from_dict(json.loads(stored)) == usage

    check()
    figures("fuzz.usage_json", examples=runs[0], escaped=0)


def test_credentials_parse_or_fail_with_a_credentials_error_that_never_quotes_the_token(figures) -> None:
    runs = [0]
    canary = canary_credentials(FIXTURES).decode()

    @given(st.one_of(
        gen.credentials_documents.map(gen.encode),
        st.floats(0, 1).map(lambda cut: canary[: int(len(canary) * cut)]),  # caught mid-write
        gen.credentials_documents.map(
            lambda d: gen.encode(d).replace('"accessToken": ', f'"accessToken": "{TOKEN}", "x": ')),
        st.text(max_size=200),
    ))
    @example(DEEP)
    @example('{"claudeAiOauth": {"accessToken": "' + TOKEN + '", "expiresAt": 1e400}}')
    def check(text: str) -> None:
        runs[0] += 1
        try:
            creds = parse_credentials(text, source="file", where="/home/u/.claude/.credentials.json")
        except CredentialsError as problem:
            assert TOKEN_CORE[:12] not in str(problem) + repr(problem)
            assert problem.__cause__ is None  # a chained JSONDecodeError would carry the document along
            return
        assert isinstance(creds, Credentials)
        assert TOKEN_CORE[:12] not in repr(creds)

    check()
    figures("fuzz.credentials_json", examples=runs[0], escaped=0)


def test_any_cache_file_reads_as_state_that_can_be_written_back(tmp_path_factory, figures) -> None:
    runs = [0]
    cache = tmp_path_factory.mktemp("fuzz-cache") / ".usage_cache"

    @given(gen.as_bytes(gen.cache_documents))
    @example(DEEP.encode())
    @example(b"\xff\xfe{\x00")
    def check(raw: bytes) -> None:
        runs[0] += 1
        cache.write_bytes(raw)
        content = read_cache(cache)
        assert isinstance(content, dict)
        state = state_from_cache(content)
        # Whatever was read must be encodable again, or every later write would fail.
        json.dumps(shared_keys(state, NOW), allow_nan=False)

    check()
    figures("fuzz.cache_file", examples=runs[0], escaped=0)


def test_the_tray_redraws_over_any_cache_file(home_factory, figures) -> None:
    runs = [0]
    home = home_factory()
    cache = home / ".claude" / "oh-my-claude" / ".usage_cache"
    cache.parent.mkdir(mode=0o700)
    clock = {"now": NOW}
    app = TrayApp(env={"HOME": str(home), "PATH": os.environ.get("PATH", "")}, cache_file=cache,
                  base_interval=60, clock=lambda: clock["now"])
    app.icon = StandInIcon()

    @given(gen.as_bytes(gen.cache_documents), gen.aware_datetimes)
    @example(b'{"tray": {"usage": {"five_hour": {"key": "five_hour", "label": "5-hour", "utilization": 50,'
             b' "resets_at": "9999-12-31T23:59:59Z", "period_s": 18000}}, "fetched_at": "0001-01-01T00:00:00Z"}}',
             NOW)
    def check(raw: bytes, now: datetime) -> None:
        runs[0] += 1
        cache.write_bytes(raw)
        clock["now"] = now
        view = app.redraw()
        assert isinstance(view.title, str) and isinstance(app.debug_text(), str)

    check()
    figures("fuzz.tray_redraw", examples=runs[0], escaped=0)


def test_statusline_stdin_always_prints_one_line_and_exits_0(home_factory, figures) -> None:
    runs = [0]
    home = home_factory()
    env = {"HOME": str(home)}

    @given(st.one_of(gen.stdin_documents.map(gen.encode), st.text(max_size=200)))
    @example(DEEP)
    @example('{"rate_limits": {"five_hour": {"used_percentage": Infinity}}}')
    @example('{"rate_limits": {"seven_day": {"used_percentage": 1e400, "resets_at": 1e400}}}')
    def check(text: str) -> None:
        runs[0] += 1
        payload: object
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            payload = None
        statusline.usage_from_stdin(payload)
        out = io.StringIO()
        assert statusline.main(io.StringIO(text), out, env, NOW) == 0
        assert LINE.fullmatch(out.getvalue()), out.getvalue()

    check()
    figures("fuzz.statusline_stdin", examples=runs[0], escaped=0)


def test_retry_after_is_none_or_a_wait_between_zero_and_a_day(figures) -> None:
    runs = [0]

    @given(st.one_of(
        st.text(max_size=60),
        st.from_regex(r"\A\s*[0-9]{1,400}(\.[0-9]{0,20})?\s*\Z"),
        gen.aware_datetimes.map(lambda moment: format_datetime(moment.astimezone(timezone.utc), usegmt=True)),
        gen.aware_datetimes.map(format_datetime),
    ), gen.aware_datetimes)
    @example("9" * 400, NOW)
    @example("Fri, 31 Dec 9999 23:59:59 GMT", NOW)
    @example("Mon, 01 Jan 0001 00:00:00 -2359", NOW)
    def check(value: str, now: datetime) -> None:
        runs[0] += 1
        wait = parse_retry_after(value, now)
        assert wait is None or 0.0 <= wait <= MAX_RETRY_AFTER_S

    check()
    figures("fuzz.retry_after", examples=runs[0], escaped=0)


def test_timestamps_read_back_as_the_moment_written_in_every_format(figures) -> None:
    runs = [0]

    @given(gen.aware_datetimes, st.sampled_from(["offset", "Z", "naive-utc", "fraction-9", "no-fraction"]))
    def written(moment: datetime, style: str) -> None:
        runs[0] += 1
        utc = moment.astimezone(timezone.utc)
        plain = moment.replace(microsecond=0, tzinfo=None).isoformat()
        offset = moment.isoformat()[-6:]
        if style == "offset":
            text, expected = moment.isoformat(), moment
        elif style == "Z":
            text, expected = utc.replace(tzinfo=None).isoformat() + "Z", utc
        elif style == "naive-utc":
            text, expected = utc.replace(tzinfo=None).isoformat(), utc
        elif style == "fraction-9":  # nanoseconds, as Go and JavaScript tools write them
            text, expected = f"{plain}.{moment.microsecond:06d}789{offset}", moment
        else:
            text, expected = plain + offset, moment.replace(microsecond=0)
        parsed = parse_timestamp(text)
        if not 1970 <= utc.year <= 2999:  # near datetime's limits: read as no time, never raise
            assert parsed is None, text
            return
        assert parsed == expected, text
        assert parsed.tzinfo == timezone.utc

    @given(st.datetimes(min_value=datetime(1973, 3, 4), max_value=datetime(2999, 12, 31)), st.booleans(),
           st.booleans())
    def epoch(moment: datetime, millis: bool, as_text: bool) -> None:
        runs[0] += 1
        seconds = moment.replace(tzinfo=timezone.utc).timestamp()
        value: object = seconds * 1000 if millis else seconds
        if as_text:
            value = repr(value)
        parsed = parse_timestamp(value)
        assert parsed is not None
        assert abs(parsed - moment.replace(tzinfo=timezone.utc)) <= timedelta(milliseconds=1)

    @given(st.one_of(gen.json_values, gen.timestamp_values(), st.text(max_size=60)))
    @example("9" * 400)
    @example(float("inf"))
    @example(10**400)
    def anything(value: object) -> None:
        runs[0] += 1
        parsed = parse_timestamp(value)
        assert parsed is None or parsed.tzinfo == timezone.utc

    written()
    epoch()
    anything()
    figures("fuzz.timestamps", examples=runs[0], escaped=0)
