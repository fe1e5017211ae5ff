"""The installed .deb's `statusline` against the venv's (issue 18): a package must start as fast as the venv.

The .deb is built by packaging/build-deb.sh (its PyInstaller build is reused while the inputs are unchanged)
and unpacked with `dpkg-deb -x` into a temporary root, never installed: `root/usr/bin/claude-tray` is the
package's program, run exactly as /usr/bin/claude-tray would be. Both commands read the same scratch HOME
with a fresh 12-hour cache and Claude Code's stdin without figures; each repeat runs both, shuffled.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import (
    CONSOLE_SCRIPT,
    FIXTURES,
    ROOT,
    VENV_PYTHON,
    Figure,
    Stats,
    now_utc,
    paired,
    scratch_env,
    write_credentials,
    write_fresh_cache,
)

STDIN = FIXTURES / "cache" / "statusline_stdin_no_limits.json"
TARGET = 1.5


def build_deb(out: Path) -> Path:
    env = {**os.environ, "PYTHON": str(VENV_PYTHON), "OUT_DIR": str(out), "DEB_COMPRESS": "-Zgzip -z1"}
    done = subprocess.run([str(ROOT / "packaging" / "build-deb.sh")], capture_output=True, text=True, env=env,
                          timeout=1800, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"build-deb.sh failed: {done.stderr[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def _timed(argv: list[str], env: dict[str, str]) -> float:
    with STDIN.open("rb") as stdin:
        start = time.perf_counter()
        done = subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                              timeout=60, check=False)
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} statusline failed: {done.stderr.decode(errors='replace')}")
    return elapsed


def measure(repeats: int, warmup: int = 3, deb: Path | None = None) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-deb-") as tmp:
        deb = deb or build_deb(Path(tmp) / "out")
        root = Path(tmp) / "root"
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True, timeout=300)
        home = Path(tmp) / "home"
        write_credentials(home)
        write_fresh_cache(home / ".claude" / "oh-my-claude" / ".usage_cache", now_utc())
        env = scratch_env(home)
        runs = {
            "deb": [str(root / "usr" / "bin" / "claude-tray"), "statusline"],
            "venv": [str(VENV_PYTHON), str(CONSOLE_SCRIPT), "statusline"],
        }
        samples: dict[str, list[float]] = {name: [] for name in runs}
        order = list(runs)
        for i in range(warmup + repeats):
            random.shuffle(order)
            for name in order:
                elapsed = _timed(runs[name], env)
                if i >= warmup:
                    samples[name].append(elapsed * 1000)
    ratio = paired(samples["deb"], samples["venv"])
    return [Figure(
        id="deb_statusline", name="installed .deb statusline / venv statusline", unit="ms",
        subject=Stats.of(samples["deb"]), baseline_name="the venv's claude-tray statusline",
        baseline=Stats.of(samples["venv"]), ratio=ratio, target=f"<= {TARGET}x", meets=ratio.median <= TARGET,
        extra={"deb": deb.name, "deb_bytes": deb.stat().st_size if deb.exists() else None},
    )]


if __name__ == "__main__":  # `.venv/bin/python benchmarks/deb_statusline.py [REPEATS]`: this row alone
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for figure in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 30):
        s, b, r = figure.subject, figure.baseline, figure.ratio
        assert b is not None and r is not None
        print(f"{figure.name}: {s.median:.1f} ms (min {s.min:.1f}) vs {b.median:.1f} ms (min {b.min:.1f}); "
              f"ratio {r.median:.2f}x ({r.min:.2f}-{r.max:.2f}), target {figure.target}: "
              f"{'met' if figure.meets else 'NOT met'}")
