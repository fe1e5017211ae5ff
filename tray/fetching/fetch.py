"""One fetch cycle: gate → credentials → client → parse → cache (SPEC §4).

Used by the tray's worker thread and by `claude-tray refresh`. The HTTP client (and so `requests`) is
imported only when a request is really about to be made.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime

from tray.base.redact import redact
from tray.base.values import record, replace
from tray.errors import ApiError, CredentialsError, RateLimited, TrayError
from tray.fetching import gate
from tray.model.state import CachedState, LastError
from tray.share import link as share
from tray.store import cache
from tray.store.history import append_reading, figures

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # never at run time: the tray's worker runs this module (pathlib: ~0.8 MB of RSS)

    from tray.base.filememo import FileMemo

BODY_EXCERPT_CHARS = 400
# A clock before this is wrong (the product did not exist), and the gate cannot keep its times (the cache
# reads no moment before 1970): automatic cycles would each fetch. They wait for the clock instead (SPEC §8).
EARLIEST_CLOCK_YEAR = 2020


@record
class FetchOutcome:
    """What one cycle did: `fetched` is True only when a request was sent."""

    fetched: bool
    state: CachedState
    message: str
    error: TrayError | None = None
    refused: gate.Decision | None = None  # the gate's answer when it held the fetch back


class _NotAllowed(Exception):
    def __init__(self, state: CachedState, decision: gate.Decision) -> None:
        super().__init__(decision.reason)
        self.state = state
        self.decision = decision


def run_fetch(
    cache_file: Path | str,
    now: datetime,
    *,
    env: Mapping[str, str],
    base_interval: float = gate.DEFAULT_INTERVAL_S,
    manual: bool = False,
    force: bool = False,
    rng: random.Random | None = None,
    exchanges: list | None = None,
    verify: bool | str = True,
    read: Callable[[Path | str], CachedState] = cache.read_state,
    write: Callable[..., CachedState] = cache.update_state,
    memo: FileMemo | None = None,
) -> FetchOutcome:
    """Fetch if the shared gate allows it (or the user asked), record the result in the cache.

    The cache is read through `read` (the tray's remembering reader) and every write goes through `write`
    (`cache.update_state`'s signature): the tray passes one that marks its writes in flight, so that quitting
    never cuts one in half, while the request itself holds nothing another thread could wait on. Claude Code's
    file is read through `memo` (the caller's: read again only when it changed)."""
    from tray.sources.credentials import usable_credentials

    rng = rng or random.Random()
    state = read(cache_file)
    # Other machines of this account (SPEC §10): their newer reading counts as ours, their server wait holds us.
    state, _share = share.take_in(cache_file, env, state, now, write=write, memo=memo)
    # Claude Code's own cached figures (SPEC §2): a reading that cost no request, when newer than ours.
    held_at = state.fetched_at
    state = take_in_claude_code(cache_file, env, state, now, write=write, memo=memo)
    if state.fetched_at != held_at and state.via_host is None:
        _publish(env, state, now, memo)  # figures that cost nothing here cost nothing on the other machines either
    try:
        creds = usable_credentials(env, now=now)
    except CredentialsError as problem:
        return _record_credentials_problem(cache_file, state, problem, now, manual=manual, write=write)

    if now.year < EARLIEST_CLOCK_YEAR and not manual:
        return FetchOutcome(False, state, f"this computer's clock says {now.year}, so nothing is fetched "
                                          "automatically until it is set right")
    fingerprint = creds.fingerprint()
    decision = gate.decide(state, now, base_interval=base_interval, token_fingerprint=fingerprint, manual=manual,
                           force=force)
    if not decision.allowed:
        return FetchOutcome(False, state, decision.reason, refused=decision)

    from tray.sources.endpoint import api_url

    url = api_url(env)  # a refused CLAUDE_TRAY_API_URL fails here, before the gate is claimed

    # Claim the attempt under the lock, so two trays and a `refresh` that woke together send one request.
    def claim(current: CachedState) -> CachedState:
        again = gate.decide(current, now, base_interval=base_interval, token_fingerprint=fingerprint, manual=manual,
                            force=force)
        if not again.allowed:
            raise _NotAllowed(current, again)
        started = gate.attempt_started(current.gate, now, manual=manual)
        return replace(current, gate=started, plan=creds.subscription_type or current.plan)

    try:
        write(cache_file, claim, now=now)
    except _NotAllowed as refused:
        return FetchOutcome(False, refused.state, refused.decision.reason, refused=refused.decision)

    from tray.model.usage import parse_usage
    from tray.sources.client import fetch_usage_json
    from tray.sources.useragent import claude_code_user_agent

    try:
        payload = fetch_usage_json(
            creds.access_token,
            url=url,
            user_agent=claude_code_user_agent(env=env),
            exchanges=exchanges,
            verify=verify,
            now=now,
        )
        try:
            usage = parse_usage(payload)
        except ApiError as unknown:
            if not unknown.body_excerpt:  # the debug text shows what came back instead of usage
                import json

                from tray.base.printable import escape_controls  # json leaves C1 and bidi characters as they are

                unknown.body_excerpt = escape_controls(json.dumps(payload, ensure_ascii=False))[:BODY_EXCERPT_CHARS]
            raise
    except ApiError as failure:
        retry_after = failure.retry_after if isinstance(failure, RateLimited) else None
        if retry_after is not None and retry_after > gate.RETRY_AFTER_MAX_S:  # capped (SPEC §4), and said so
            hours = gate.RETRY_AFTER_MAX_S // 3600
            failure.args = (f"{failure} Waiting {hours} hours at most, not the {retry_after / 3600:.0f} hours "
                            "asked for.",)
        error, kind, raised = _last_error(failure, now, secrets=(creds.access_token,)), failure.kind, failure

        def record_failure(current: CachedState) -> CachedState:
            return replace(
                current,
                last_error=error,
                gate=gate.after_failure(
                    current.gate, now, kind=kind, retry_after=retry_after,
                    token_fingerprint=fingerprint, rng=rng, manual=manual,
                ),
            )

        saved = write(cache_file, record_failure, now=now)
        _publish(env, saved, now, memo)
        return FetchOutcome(True, saved, error.message, raised)

    def record_success(current: CachedState) -> CachedState:
        changed = figures(current.usage) != figures(usage)
        return replace(
            current,
            usage=usage,
            fetched_at=now,
            source="api",
            plan=creds.subscription_type or current.plan,
            last_error=None,
            gate=gate.after_success(current.gate, now, changed=changed, base_interval=base_interval, manual=manual),
            history=append_reading(current.history, usage, now),
        )

    saved = write(cache_file, record_success, now=now)
    _publish(env, saved, now, memo)
    return FetchOutcome(True, saved, "Fetched fresh usage from Anthropic.")


def _publish(env: Mapping[str, str], state: CachedState, now: datetime, memo: FileMemo | None) -> None:
    """This machine's snapshot for the others; a share that cannot be written never fails the fetch."""
    problem = share.publish(env, state, now, memo)
    if problem:
        import logging

        logging.getLogger("claude-tray").warning("%s", problem)


def take_in_claude_code(
    cache_file: Path | str, env: Mapping[str, str], state: CachedState, now: datetime, *,
    write: Callable[..., CachedState] = cache.update_state, memo: FileMemo | None = None,
) -> CachedState:
    """Record Claude Code's cached figures (`~/.claude.json`) as our reading while they are newer than the one
    held and younger than an hour; they carry no extra usage, which is kept from the endpoint's last answer."""
    from tray.sources import claudecode

    found = claudecode.fresh_reading(claudecode.read_cached_usage(env, memo), state.fetched_at, now)
    if found is None:
        return state

    def record(current: CachedState) -> CachedState:
        reading = claudecode.fresh_reading(found, current.fetched_at, now)
        if reading is None:
            return current
        held = current.usage
        usage = replace(reading.usage, extra=reading.usage.extra or (held.extra if held else None),
                        models=reading.usage.models or (held.models if held else ()))
        return replace(current, usage=usage, fetched_at=reading.fetched_at, source=claudecode.SOURCE,
                       history=append_reading(current.history, usage, reading.fetched_at))

    try:
        return write(cache_file, record, now=now)
    except TrayError:
        return state


def _record_credentials_problem(
    cache_file: Path | str, state: CachedState, problem: CredentialsError, now: datetime, *, manual: bool,
    write: Callable[..., CachedState],
) -> FetchOutcome:
    # The same problem every minute is written once: the tray's tick must not rewrite the cache for nothing.
    last = state.last_error
    if last is not None and last.kind == problem.kind and not manual:
        return FetchOutcome(False, state, str(problem), problem)
    error = LastError(at=now, kind=problem.kind, message=redact(str(problem)))

    def record(current: CachedState) -> CachedState:
        return replace(current, last_error=error)

    try:
        saved = write(cache_file, record, now=now)
    except TrayError:
        saved = state
    return FetchOutcome(False, saved, str(problem), problem)


def _last_error(failure: ApiError, now: datetime, *, secrets: tuple[str, ...]) -> LastError:
    return LastError(
        at=now,
        kind=failure.kind,
        message=redact(str(failure), secrets),
        status=failure.status,
        body_excerpt=redact(failure.body_excerpt or "", secrets)[:BODY_EXCERPT_CHARS],
    )
