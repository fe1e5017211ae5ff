"""Wall time of the short-lived commands against the least a Python program can do (SPEC §6).

Every repeat runs each command once, in a shuffled order, so a burst of load from the other processes on
the machine hits subject and baseline alike; ratios are taken per repeat.
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
import time
from pathlib import Path

from common import (
    CONSOLE_SCRIPT,
    FIXTURES,
    VENV_PYTHON,
    Figure,
    Stats,
    now_utc,
    paired,
    scratch_env,
    write_credentials,
    write_fresh_cache,
)

# The least any Python status line can do: read Claude Code's JSON and the cache, print one line.
MINIMAL_READER = """\
import json, os, sys
payload = json.load(sys.stdin)
try:
    with open(os.path.expanduser("~/.claude/oh-my-claude/.usage_cache")) as f:
        pro = json.load(f).get("pro") or {}
except (OSError, ValueError):
    pro = {}
print(f"5h:{pro.get('five_hour_pct', '--')}% 7d:{pro.get('seven_day_pct', '--')}%")
"""

STDIN_WITHOUT_LIMITS = FIXTURES / "cache" / "statusline_stdin_no_limits.json"  # Claude Code before 2.1.80
STDIN_WITH_LIMITS = FIXTURES / "cache" / "statusline_stdin.json"  # 2.1.80+: the figures are recorded


def _timed(argv: list[str], stdin: Path, env: dict[str, str]) -> float:
    with stdin.open("rb") as f:
        start = time.perf_counter()
        done = subprocess.run(argv, stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                              timeout=60)
        elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # `status` exits 1 with no data; anything else is a broken benchmark
        raise RuntimeError(f"{argv[-1]} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    return elapsed


def measure(repeats: int, warmup: int = 3) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        env, changing_env = (_scratch_home(Path(tmp) / name) for name in ("home", "changing"))
        changing = Path(tmp) / "statusline_stdin_changing.json"  # new figures on every run: the locked write
        payload = json.loads(STDIN_WITH_LIMITS.read_text())
        py, script = str(VENV_PYTHON), str(CONSOLE_SCRIPT)
        runs = {
            "pass": ([py, "-c", "pass"], STDIN_WITHOUT_LIMITS, env),
            "reader": ([py, "-c", MINIMAL_READER], STDIN_WITHOUT_LIMITS, env),
            "reader_limits": ([py, "-c", MINIMAL_READER], STDIN_WITH_LIMITS, env),
            "statusline": ([py, script, "statusline"], STDIN_WITHOUT_LIMITS, env),
            "statusline_record": ([py, script, "statusline"], STDIN_WITH_LIMITS, env),
            "statusline_change": ([py, script, "statusline"], changing, changing_env),  # its own cache
            "status": ([py, script, "status"], STDIN_WITHOUT_LIMITS, env),
        }
        samples: dict[str, list[float]] = {name: [] for name in runs}
        order = list(runs)
        for i in range(warmup + repeats):  # the warm-up fills the page cache and writes the .pyc files
            random.shuffle(order)
            for name in order:
                argv, stdin, run_env = runs[name]
                if name == "statusline_change":
                    payload["rate_limits"]["five_hour"]["used_percentage"] = 20 + i % 2 * 0.5
                    changing.write_text(json.dumps(payload))
                elapsed = _timed(argv, stdin, run_env)
                if i >= warmup:
                    samples[name].append(elapsed * 1000)
    return _figures(samples)


def _scratch_home(home: Path) -> dict[str, str]:
    """A home with credentials and a 12-hour cache, fresh now; the environment that points at it."""
    write_credentials(home)
    write_fresh_cache(home / ".claude" / "oh-my-claude" / ".usage_cache", now_utc())
    return scratch_env(home)


def _figures(ms: dict[str, list[float]]) -> list[Figure]:
    def figure(fid: str, name: str, subject: str, base: str, base_name: str, limit: float | None,
               extra: dict | None = None) -> Figure:
        ratio = paired(ms[subject], ms[base])
        return Figure(
            id=fid, name=name, unit="ms", subject=Stats.of(ms[subject]), baseline_name=base_name,
            baseline=Stats.of(ms[base]), ratio=ratio, target=f"<= {limit}x" if limit else "report",
            meets=None if limit is None else ratio.median <= limit, extra=extra or {},
        )

    reader = "python -c: json.load stdin and the cache, print a line"
    return [
        figure("statusline", "claude-tray statusline (cache present)", "statusline", "reader", reader, 1.25,
               {"vs_python_pass": Stats.of([s / p for s, p in zip(ms["statusline"], ms["pass"])]).__dict__,
                "python_pass_ms": Stats.of(ms["pass"]).__dict__}),
        figure("statusline_record", "claude-tray statusline, Claude Code's figures as recorded (nothing to write)",
               "statusline_record", "reader_limits", reader, 1.25,
               {"vs_python_pass": Stats.of([s / p for s, p in zip(ms["statusline_record"], ms["pass"])]).__dict__}),
        figure("statusline_change", "claude-tray statusline, new figures from Claude Code (locked write)",
               "statusline_change", "reader_limits", reader, None,
               {"vs_python_pass": Stats.of([s / p for s, p in zip(ms["statusline_change"], ms["pass"])]).__dict__}),
        figure("status", "claude-tray status", "status", "reader", reader, 1.5),
    ]
