"""Shared pieces of the benchmark: statistics, the scratch home with a realistic cache, figures as values."""

from __future__ import annotations

import json
import os
import statistics
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"  # copies of the contract's fixtures: a clone tests itself
VENV_PYTHON = Path(sys.executable)  # command and baseline run on the same interpreter
CONSOLE_SCRIPT = VENV_PYTHON.parent / "claude-tray"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# A user's Python reads the installed .pyc files; PYTHONDONTWRITEBYTECODE (set in some CI and agent shells)
# with sources newer than their .pyc would compile the tray's modules on every start and time the compiler.
NOT_A_USERS = ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
# A tray that has run for 8 days: a reading a minute, kept as the history keeps them (SPEC §11: the last 12 h of
# minutes, 10-minute steps back to 8 days, ~1,800 readings), the heaviest cache to parse.
HISTORY_MINUTES = 8 * 24 * 60


@dataclass(frozen=True)
class Stats:
    median: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))


@dataclass(frozen=True)
class Figure:
    """One row of the table: the subject and its baseline measured in the same run, and the verdict."""

    id: str
    name: str
    unit: str
    subject: Stats
    baseline_name: str | None = None
    baseline: Stats | None = None
    ratio: Stats | None = None  # subject_i / baseline_i over interleaved repeats
    target: str = ""
    meets: bool | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def paired(subject: list[float], baseline: list[float]) -> Stats:
    """Ratios of runs made side by side (interleaved), so drift in machine load cancels out."""
    return Stats.of([s / b for s, b in zip(subject, baseline) if b > 0])


def write_credentials(home: Path) -> None:
    target = home / ".claude" / ".credentials.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((FIXTURES / "credentials" / "pro_valid.json").read_bytes())
    target.chmod(0o600)


def write_fresh_cache(cache_file: Path, now: datetime, *, five: float = 47.0, seven: float = 21.0,
                      history: int = HISTORY_MINUTES) -> None:
    """A cache as our writer leaves it after 8 days of one reading a minute, fresh at `now`.

    `unchanged_count` is past the stretch threshold, so the gate's interval is 5 minutes: a tray started on
    it has nothing to fetch for 5 minutes, which is what "ticks, no fetch" needs.
    """
    from tray.base.values import replace
    from tray.model.state import CachedState, GateState
    from tray.model.usage import FIVE_HOURS, SEVEN_DAYS, Usage, UsageWindow
    from tray.store import cache
    from tray.store.history import append_reading

    usage = Usage(
        five_hour=UsageWindow("five_hour", "5-hour", five, now + timedelta(hours=2, minutes=13), FIVE_HOURS),
        seven_day=UsageWindow("seven_day", "7-day", seven, now + timedelta(days=3), SEVEN_DAYS),
        models=(UsageWindow("seven_day_sonnet", "7-day Sonnet", 3.0, now + timedelta(days=3), SEVEN_DAYS),),
    )
    readings: tuple = ()
    for minute in range(history, 0, -1):
        readings = append_reading(readings, usage, now - timedelta(minutes=minute))
    state = CachedState(usage=usage, fetched_at=now, source="api", plan="pro",
                        gate=GateState(unchanged_count=8, interval_s=300.0), history=readings)
    cache_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    cache.update_state(cache_file, lambda current: replace(state, notified=current.notified), now=now)


def scratch_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user whose home is `home`: nothing of the real user's Claude set-up leaks in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLAUDE_", "PYSTRAY_")) and k not in NOT_A_USERS}
    env.update(HOME=str(home), **extra)
    return env


def compile_sources() -> None:
    """Write current .pyc files for the tray, as pip does at install (`python -m compileall`)."""
    import compileall

    compileall.compile_dir(str(ROOT / "tray"), quiet=1)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def machine() -> dict:
    import platform

    info: dict = {"python": platform.python_version(), "implementation": platform.python_implementation(),
                  "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        info["cpu"] = platform.processor() or "unknown"
    try:
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    from importlib import metadata

    for dist in ("Pillow", "pystray", "PyGObject", "python-xlib", "schedule", "claude-tray"):
        try:
            info[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            info[dist] = None
    return info


def dump(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
