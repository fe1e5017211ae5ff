"""The credentials reader: Claude Code's file and macOS Keychain, read-only, with plain-sentence errors.

The Keychain is exercised on any POSIX system through `tests/stubs/security`, a stand-in put on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import install_credentials
from tray.base.values import replace
from tray.errors import (
    CredentialsError,
    CredentialsMalformed,
    CredentialsMissing,
    MissingScope,
    SignedOut,
    TokenExpired,
)
from tray.sources.credentials import (
    Credentials,
    check_usable,
    credentials_mode_warning,
    read_credentials,
    usable_credentials,
)
from tray.sources.credentials.keychain import DEFAULT_SECURITY, SERVICE, ask_keychain, resolve_security

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
YEAR_2100 = datetime(2100, 1, 1, tzinfo=timezone.utc)
STUB = Path(__file__).parent / "stubs" / "security"
WITH_ACCOUNT = f"[find-generic-password][-s][{SERVICE}][-a][alice][-w]"
ANY_ACCOUNT = f"[find-generic-password][-s][{SERVICE}][-w]"


def creds_fixture(fixtures: Path, name: str) -> Path:
    return fixtures / "credentials" / f"{name}.json"


def token_of(fixtures: Path, name: str) -> str:
    return json.loads(creds_fixture(fixtures, name).read_text())["claudeAiOauth"]["accessToken"]


def write_credentials(home: Path, content: str | bytes) -> Path:
    target = home / ".claude" / ".credentials.json"
    target.write_bytes(content.encode() if isinstance(content, str) else content)
    target.chmod(0o600)
    return target


def pro_with(**changes: object) -> str:
    oauth = {
        "accessToken": "sk-ant-oat01-WRONGTYPESWRONGTYPES-testonly",
        "expiresAt": 4102444800000,
        "scopes": ["user:inference", "user:profile"],
        "subscriptionType": "pro",
    }
    oauth.update(changes)
    return json.dumps({"claudeAiOauth": oauth})


@pytest.fixture
def mac(tmp_path: Path, home: Path) -> dict[str, str]:
    """The environment of a macOS user `alice`, with the stand-in `security` first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copyfile(STUB, bin_dir / "security")
    (bin_dir / "security").chmod(0o755)
    return {
        "HOME": str(home),
        "USER": "alice",
        "PATH": os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"]),
        "STUB_SECURITY_LOG": str(tmp_path / "security.log"),
    }


def security_calls(env: dict[str, str]) -> list[str]:
    log = Path(env["STUB_SECURITY_LOG"])
    return log.read_text().splitlines() if log.exists() else []


def read_on_mac(env: dict[str, str]) -> Credentials:
    return read_credentials(env, platform="darwin", keychain_timeout=5.0)


# --- the file -------------------------------------------------------------------------------------------


def test_pro_sign_in_gives_token_plan_tier_scopes_and_expiry(fixtures: Path, home: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    creds = read_credentials({"HOME": str(home)}, platform="linux")
    assert creds.access_token == token_of(fixtures, "pro_valid")
    assert creds.expires_at == YEAR_2100
    assert creds.scopes == ("user:inference", "user:profile", "user:sessions:claude_code")
    assert creds.subscription_type == "pro" and creds.rate_limit_tier == "default_claude_ai"
    assert creds.source == "file"
    check_usable(creds, NOW)


def test_a_file_saved_with_a_byte_order_mark_reads_like_any_other(fixtures: Path, home: Path) -> None:
    (home / ".claude").mkdir(parents=True, exist_ok=True)
    write_credentials(home, b"\xef\xbb\xbf" + creds_fixture(fixtures, "pro_valid").read_bytes())
    creds = read_credentials({"HOME": str(home)}, platform="linux")
    assert creds.access_token == token_of(fixtures, "pro_valid") and creds.subscription_type == "pro"


def test_max_plan_is_lower_cased_and_mcp_server_tokens_are_ignored(fixtures: Path, home: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "max_with_mcp"))
    creds = read_credentials({"HOME": str(home)}, platform="linux")
    assert creds.subscription_type == "max"
    assert creds.rate_limit_tier == "default_claude_max_20x"
    assert creds.access_token == token_of(fixtures, "max_with_mcp")


def test_claude_config_dir_points_the_reader_at_another_folder(
    fixtures: Path, home: Path, tmp_path: Path
) -> None:
    install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    elsewhere = tmp_path / "work-claude"
    elsewhere.mkdir()
    (elsewhere / ".credentials.json").write_bytes(creds_fixture(fixtures, "max_with_mcp").read_bytes())
    creds = read_credentials({"HOME": str(home), "CLAUDE_CONFIG_DIR": str(elsewhere)}, platform="linux")
    assert creds.subscription_type == "max"


def test_expired_sign_in_is_readable_but_refused_with_run_claude(fixtures: Path, home: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "expired"))
    creds = read_credentials({"HOME": str(home)}, platform="linux")
    assert creds.is_expired(NOW)
    with pytest.raises(TokenExpired) as caught:
        check_usable(creds, NOW)
    expected_time = creds.expires_at.astimezone().strftime("%a %d %b %H:%M")
    assert str(caught.value) == (
        f"Claude Code's sign-in expired at {expected_time} — run `claude` once to refresh it; "
        "this tray never refreshes tokens itself."
    )


def test_expiry_earlier_today_is_told_as_a_clock_time(fixtures: Path, home: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    local_afternoon = datetime(2026, 1, 15, 14, 2).astimezone()  # 14:02 in this machine's time zone
    creds = replace(read_credentials({"HOME": str(home)}, platform="linux"), expires_at=local_afternoon)
    with pytest.raises(TokenExpired, match="expired at 14:02 — run `claude` once"):
        check_usable(creds, local_afternoon + timedelta(minutes=5))


def test_token_is_usable_until_the_moment_it_expires(fixtures: Path, home: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "expired"))
    creds = read_credentials({"HOME": str(home)}, platform="linux")
    check_usable(creds, creds.expires_at - timedelta(seconds=1))
    assert creds.is_expired(creds.expires_at)


def test_signed_out_install_says_sign_in_with_claude(fixtures: Path, home: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "signed_out"))
    with pytest.raises(SignedOut) as caught:
        read_credentials({"HOME": str(home)}, platform="linux")
    assert str(caught.value) == "Claude Code is signed out: run `claude` and sign in."


def test_expires_at_zero_means_signed_out_even_with_a_token(home: Path) -> None:
    write_credentials(home, pro_with(expiresAt=0))
    with pytest.raises(SignedOut):
        read_credentials({"HOME": str(home)}, platform="linux")


def test_token_without_profile_scope_is_refused_before_any_request(fixtures: Path, home: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "no_profile_scope"))
    with pytest.raises(MissingScope) as caught:
        usable_credentials({"HOME": str(home)}, now=NOW, platform="linux")
    message = str(caught.value)
    assert "user:profile" in message and "setup-token" in message and "sign in with `claude`" in message


def test_mcp_only_file_has_no_claude_sign_in(fixtures: Path, home: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "mcp_only"))
    with pytest.raises(CredentialsMissing, match=r"hold no Claude\.ai sign-in: run `claude` and sign in"):
        read_credentials({"HOME": str(home)}, platform="linux")


def test_no_file_names_the_path_and_says_sign_in(home: Path) -> None:
    with pytest.raises(CredentialsMissing) as caught:
        read_credentials({"HOME": str(home)}, platform="linux")
    assert str(home / ".claude" / ".credentials.json") in str(caught.value)
    assert "run `claude` and sign in" in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [b"", b"   \n", b"not json at all", b"\xff\xfe{}", b"[1, 2, 3]", b'"sk-ant-oat01-BARESTRING-testonly"'],
    ids=["empty", "blank", "not-json", "not-utf8", "a-list", "a-string"],
)
def test_unreadable_json_is_malformed_and_says_run_claude(home: Path, content: bytes) -> None:
    write_credentials(home, content)
    with pytest.raises(CredentialsMalformed, match="run `claude` once"):
        read_credentials({"HOME": str(home)}, platform="linux")


def test_file_caught_mid_write_is_malformed(fixtures: Path, home: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "truncated"))
    with pytest.raises(CredentialsMalformed, match="caught mid-write"):
        read_credentials({"HOME": str(home)}, platform="linux")


WRONG_TYPES = {
    "expiresAt-as-text": pro_with(expiresAt="4102444800000"),
    "expiresAt-as-bool": pro_with(expiresAt=True),
    "expiresAt-beyond-any-calendar": pro_with(expiresAt=1e300),
    "scopes-as-text": pro_with(scopes="user:inference user:profile"),
    "scopes-with-a-number": pro_with(scopes=["user:profile", 7]),
    "token-as-number": pro_with(accessToken=12345),
    "oauth-as-list": json.dumps({"claudeAiOauth": ["sk-ant-oat01-INALIST-testonly"]}),
}


@pytest.mark.parametrize("content", WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_wrong_types_are_malformed_and_name_the_field(home: Path, content: str) -> None:
    write_credentials(home, content)
    with pytest.raises(CredentialsMalformed, match=r"unexpected (expiresAt|scopes|accessToken|claudeAiOauth)"):
        read_credentials({"HOME": str(home)}, platform="linux")


def test_display_only_fields_of_odd_types_do_not_block_fetching(home: Path) -> None:
    write_credentials(home, pro_with(subscriptionType=3, rateLimitTier=None))
    creds = usable_credentials({"HOME": str(home)}, now=NOW, platform="linux")
    assert (creds.subscription_type, creds.rate_limit_tier) == (None, None)


def test_fingerprint_changes_with_the_token_and_does_not_reveal_it(fixtures: Path, home: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    first = read_credentials({"HOME": str(home)}, platform="linux")
    again = read_credentials({"HOME": str(home)}, platform="linux")
    install_credentials(home, creds_fixture(fixtures, "max_with_mcp"))
    refreshed = read_credentials({"HOME": str(home)}, platform="linux")
    assert re.fullmatch(r"[0-9a-f]{16}", first.fingerprint())
    assert first.fingerprint() == again.fingerprint() != refreshed.fingerprint()
    assert first.fingerprint() not in first.access_token


def test_repr_and_str_show_the_token_kind_but_not_the_token(fixtures: Path, home: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    creds = read_credentials({"HOME": str(home)}, platform="linux")
    for shown in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert creds.access_token not in shown and "testonly" not in shown
        assert "sk-ant-oat01-…[REDACTED]" in shown and "'pro'" in shown


# --- file modes -----------------------------------------------------------------------------------------


@pytest.mark.skipif(os.name == "nt", reason="POSIX mode bits")
def test_credentials_readable_by_others_get_a_chmod_warning(fixtures: Path, home: Path) -> None:
    path = install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    path.chmod(0o644)
    warning = credentials_mode_warning(path)
    assert warning is not None
    assert "group and others" in warning and "0644" in warning and f"chmod 600 {path}" in warning


@pytest.mark.skipif(os.name == "nt", reason="POSIX mode bits")
def test_credentials_private_to_the_user_get_no_warning(fixtures: Path, home: Path) -> None:
    path = install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    assert credentials_mode_warning(path) is None
    assert credentials_mode_warning(home / "no-such-file") is None


# --- the macOS Keychain, through the stand-in `security` --------------------------------------------------


def test_keychain_sign_in_wins_over_the_file_on_macos(
    fixtures: Path, home: Path, mac: dict[str, str]
) -> None:
    install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    mac["STUB_SECURITY_WITH_ACCOUNT"] = str(creds_fixture(fixtures, "max_with_mcp"))
    creds = read_on_mac(mac)
    assert (creds.source, creds.subscription_type) == ("keychain", "max")
    assert security_calls(mac) == [WITH_ACCOUNT]


def test_keychain_is_asked_for_the_users_account_then_for_any_account(
    fixtures: Path, home: Path, mac: dict[str, str]
) -> None:
    mac["STUB_SECURITY_WITH_ACCOUNT"] = "notfound"
    mac["STUB_SECURITY_ANY_ACCOUNT"] = str(creds_fixture(fixtures, "max_with_mcp"))
    assert read_on_mac(mac).source == "keychain"
    assert security_calls(mac) == [WITH_ACCOUNT, ANY_ACCOUNT]


def test_keychain_entry_with_an_empty_token_is_skipped(
    fixtures: Path, home: Path, mac: dict[str, str]
) -> None:
    mac["STUB_SECURITY_WITH_ACCOUNT"] = str(creds_fixture(fixtures, "signed_out"))
    mac["STUB_SECURITY_ANY_ACCOUNT"] = str(creds_fixture(fixtures, "max_with_mcp"))
    assert read_on_mac(mac).subscription_type == "max"


@pytest.mark.parametrize("behaviour", ["notfound", "garbage", "fail"])
def test_keychain_without_a_usable_entry_falls_back_to_the_file(
    fixtures: Path, home: Path, mac: dict[str, str], behaviour: str
) -> None:
    install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    mac["STUB_SECURITY_WITH_ACCOUNT"] = mac["STUB_SECURITY_ANY_ACCOUNT"] = behaviour
    creds = read_on_mac(mac)
    assert (creds.source, creds.subscription_type) == ("file", "pro")
    assert security_calls(mac) == [WITH_ACCOUNT, ANY_ACCOUNT]


def test_hung_keychain_is_killed_and_the_file_is_used(
    fixtures: Path, home: Path, mac: dict[str, str]
) -> None:
    install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    mac["STUB_SECURITY_WITH_ACCOUNT"] = "hang"
    creds = read_credentials(mac, platform="darwin", keychain_timeout=0.5)
    assert creds.source == "file"
    # Asking again would only hang again: one call, and the stand-in is gone rather than left sleeping.
    assert security_calls(mac) == [WITH_ACCOUNT]
    pid = int(Path(mac["STUB_SECURITY_LOG"] + ".pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_keychain_secret_printed_as_hex_is_decoded(fixtures: Path, home: Path, mac: dict[str, str]) -> None:
    mac["STUB_SECURITY_WITH_ACCOUNT"] = "hex:" + str(creds_fixture(fixtures, "max_with_mcp"))
    assert read_on_mac(mac).access_token == token_of(fixtures, "max_with_mcp")


def test_missing_security_command_falls_back_to_the_file(fixtures: Path, home: Path, tmp_path: Path) -> None:
    install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    env = {"HOME": str(home), "USER": "alice"}
    creds = read_credentials(env, platform="darwin", security=str(tmp_path / "no-security-here"))
    assert creds.source == "file"


def test_security_is_found_on_path_else_at_apples_path(mac: dict[str, str], tmp_path: Path) -> None:
    assert resolve_security(mac) == str(Path(mac["PATH"].split(os.pathsep)[0]) / "security")
    assert resolve_security({"PATH": str(tmp_path / "empty")}) == DEFAULT_SECURITY


def test_exit_44_is_reported_as_not_found(mac: dict[str, str]) -> None:
    answer = ask_keychain(resolve_security(mac), "alice", env=mac, timeout=5.0)
    assert (answer.status, answer.text) == ("not_found", "")


def test_keychain_signed_out_and_no_file_says_signed_out(
    fixtures: Path, home: Path, mac: dict[str, str]
) -> None:
    mac["STUB_SECURITY_WITH_ACCOUNT"] = str(creds_fixture(fixtures, "signed_out"))
    with pytest.raises(SignedOut):
        read_on_mac(mac)


def test_no_sign_in_anywhere_on_macos_names_keychain_and_file(home: Path, mac: dict[str, str]) -> None:
    with pytest.raises(CredentialsMissing, match=r"in the Keychain or at .*run `claude` and sign in"):
        read_on_mac(mac)


def test_keychain_is_never_asked_off_macos(fixtures: Path, home: Path, mac: dict[str, str]) -> None:
    install_credentials(home, creds_fixture(fixtures, "pro_valid"))
    mac["STUB_SECURITY_WITH_ACCOUNT"] = str(creds_fixture(fixtures, "max_with_mcp"))
    assert read_credentials(mac, platform="linux").source == "file"
    assert security_calls(mac) == []


# --- secrets never leak, nothing is ever written -----------------------------------------------------------

FAILING = ["expired", "signed_out", "no_profile_scope", "mcp_only", "truncated"]


def all_fake_secrets(fixtures: Path) -> set[str]:
    text = "".join(p.read_text() for p in (fixtures / "credentials").glob("*.json"))
    text += "".join(WRONG_TYPES.values())
    return set(re.findall(r"sk-ant-[A-Za-z0-9_-]+", text)) | {"testonly", "not-a-claude-token", "not-this"}


def failures(fixtures: Path, home: Path, mac: dict[str, str]) -> list[CredentialsError]:
    caught: list[CredentialsError] = []
    inputs = [creds_fixture(fixtures, name).read_bytes() for name in FAILING]
    inputs += [content.encode() for content in WRONG_TYPES.values()] + [b"", b"sk-ant-oat01-RAW-testonly"]
    for content in inputs:
        write_credentials(home, content)
        for platform in ("linux", "darwin"):
            try:
                usable_credentials(mac, now=NOW, platform=platform, keychain_timeout=5.0)
            except CredentialsError as problem:
                caught.append(problem)
    return caught


def test_no_error_message_or_traceback_contains_a_token(
    fixtures: Path, home: Path, mac: dict[str, str]
) -> None:
    mac["STUB_SECURITY_WITH_ACCOUNT"] = "garbage"
    caught = failures(fixtures, home, mac)
    assert {type(e) for e in caught} == {TokenExpired, SignedOut, MissingScope, CredentialsMissing,
                                         CredentialsMalformed}
    secrets = all_fake_secrets(fixtures)
    for problem in caught:
        trace = traceback.format_exception(type(problem), problem, problem.__traceback__)
        shown = str(problem) + repr(problem) + "".join(trace)
        assert not [s for s in secrets if s in shown], shown
        # One sentence that says what to do.
        assert "`claude`" in str(problem) and str(problem).endswith(".") and ". " not in str(problem)


@pytest.mark.parametrize("name", ["pro_valid", "max_with_mcp", *FAILING])
def test_reading_never_writes_the_credentials_file(
    fixtures: Path, home: Path, mac: dict[str, str], name: str
) -> None:
    path = install_credentials(home, creds_fixture(fixtures, name))
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    before = (path.read_bytes(), path.stat().st_mtime_ns, stat.S_IMODE(path.stat().st_mode))
    folder = sorted(p.name for p in path.parent.iterdir())
    for platform, behaviour in (("linux", "notfound"), ("darwin", "notfound"), ("darwin", "garbage")):
        mac["STUB_SECURITY_WITH_ACCOUNT"] = mac["STUB_SECURITY_ANY_ACCOUNT"] = behaviour
        try:
            usable_credentials(mac, now=NOW, platform=platform, keychain_timeout=5.0)
        except CredentialsError:
            pass
    assert (path.read_bytes(), path.stat().st_mtime_ns, stat.S_IMODE(path.stat().st_mode)) == before
    assert sorted(p.name for p in path.parent.iterdir()) == folder
