"""Launch at login (SPEC §7): one backend per kind of system behind `AutostartBackend`, after platformdirs.

    backend = get_backend()          # chosen once, from sys.platform
    backend.status().enabled         # the menu's check mark
    print(backend.enable())          # one sentence; AutostartError when it cannot

Platform modules are imported lazily, so importing this package costs only the standard library. Paths are
text (os.path): the running tray asks `status()` for its check mark, and pathlib would cost it ~0.6 MB of RSS.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Callable

from tray.desktop.autostart.base import APP_ID, AutostartBackend, AutostartState, AutostartStatus, CommandSource
from tray.errors import UsageError

if TYPE_CHECKING:
    from typing import Any

    from tray.desktop.autostart.macos import Runner
    from tray.desktop.autostart.windows import Registry

__all__ = ["AutostartBackend", "AutostartState", "AutostartStatus", "backend_for", "get_backend"]

# Several accounts (`--config-dir`) need several entries: the instance becomes part of each name.
_INSTANCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_XDG_PLATFORMS = ("linux", "freebsd", "openbsd", "netbsd", "dragonfly", "sunos")


def get_backend(
    platform: str = sys.platform,
    env: Mapping[str, str] | None = None,
    home: str | os.PathLike[str] | None = None,
    *,
    extra_args: Sequence[str] = (),
    instance: str = "",
    command: CommandSource | None = None,
    load_now: bool = False,
    registry: Registry | None = None,
    runner: Runner | None = None,
) -> AutostartBackend:
    """The launch-at-login backend for `platform`.

    `extra_args` follow `claude-tray run` in the registered command (e.g. `--config-dir DIR`); give each
    such set its own `instance` name so entries do not overwrite each other. `command` replaces the
    detected one (tests). `load_now` (macOS only) also starts/stops the launchd job now; leave it False
    from the running tray, or a second tray starts (enable) or this one is stopped (disable).
    `registry` (Windows) and `runner` (macOS launchctl) are injectable for tests.
    """
    env = os.environ if env is None else env
    if instance and not _INSTANCE.fullmatch(instance):
        raise UsageError(f"Instance name {instance!r} may use only letters, digits, '.', '_' and '-'.")
    if home is None:
        configured = env.get("HOME") or env.get("USERPROFILE")
        # expanduser("~") is what Path.home() does: HOME, else the password database.
        home = configured or os.path.expanduser("~")
    source: CommandSource = command if command is not None else _detected_command(platform, extra_args)
    entry_id = f"{APP_ID}-{instance}" if instance else APP_ID

    if platform.startswith(_XDG_PLATFORMS):
        from tray.desktop.autostart.linux import XdgAutostart, xdg_config_home_str, xdg_data_home_str

        return XdgAutostart(source, config_home=xdg_config_home_str(env, home), entry_id=entry_id,
                            data_home=xdg_data_home_str(env, home))
    if platform == "darwin":
        from tray.desktop.autostart.macos import LABEL, LaunchAgent

        label = f"{LABEL}.{instance}" if instance else LABEL
        return LaunchAgent(source, home=home, label=label, runner=runner, load_now=load_now)
    if platform == "win32":
        from tray.desktop.autostart.windows import RunKeyAutostart

        return RunKeyAutostart(source, registry=registry, value_name=entry_id)
    from tray.desktop.autostart.unsupported import UnsupportedAutostart

    return UnsupportedAutostart(platform, source)


def backend_for(env: Mapping[str, str], **options: Any) -> AutostartBackend:
    """Launch at login for the tray of `env`'s config dir: the one rule the menu, `claude-tray autostart` and
    `doctor` share. The default config dir keeps the plain entry; another (`--config-dir DIR` or
    CLAUDE_CONFIG_DIR) gets its own, named after the folder, starting `run --config-dir DIR`, so a work and a
    personal tray both come back at login. `options` go to `get_backend` (tests: platform, registry, …)."""
    instance, extra = config_instance(env)
    return get_backend(env=env, instance=instance, extra_args=extra, **options)


def config_instance(env: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """The entry's instance name and the arguments after `run` for `env`'s config dir ("", () for the default)."""
    from tray.store.paths import final_name

    configured = env.get("CLAUDE_CONFIG_DIR", "").strip()
    if not configured:
        return "", ()
    # os.path, not pathlib: the running tray asks this for its check mark. abspath also folds
    # "x/.." (pathlib kept it): the same folder, so the same entry. normcase: Windows paths ignore case.
    folder = os.path.abspath(os.path.expanduser(configured))
    home = env.get("HOME") or env.get("USERPROFILE") or os.path.expanduser("~")
    if os.path.normcase(folder) == os.path.normcase(os.path.normpath(os.path.join(home, ".claude"))):
        return "", ()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", final_name(folder)).strip("-._")[:64]
    if not name:  # a folder named only in other scripts: a stable name from its path
        import zlib  # not hashlib: it loads OpenSSL into the tray

        name = f"config-{zlib.crc32(folder.encode()):08x}"
    return name, ("--config-dir", folder)


def _detected_command(platform: str, extra_args: Sequence[str]) -> Callable[[], tuple[str, ...]]:
    def detect() -> tuple[str, ...]:
        from tray.desktop.autostart.command import launch_command

        return launch_command(extra_args, platform=platform)

    return detect
