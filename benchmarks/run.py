"""claude-tray benchmark: each figure beside its baseline, measured in the same run (issue 6).

    .venv/bin/python benchmarks/run.py            # the full run (about 10 minutes), writes benchmarks/results/
    .venv/bin/python benchmarks/run.py --quick    # a smoke run in under a minute, same figures, few repeats

Prints a table and writes JSON (`<date>-<host>.json` and `latest.json`) with median, min and max of every
figure, of its baseline and of their ratio. Run it with the project's venv Python: the commands and their
baselines are timed on that same interpreter.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import socket
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Figure, compile_sources, dump, machine

RESULTS = ROOT / "benchmarks" / "results"
DESKTOP_TOOLS = ("Xvfb", "trayer", "dbus-daemon", "dunst")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few repeats: checks the script, not the machine")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON (default benchmarks/results)")
    parser.add_argument("--backend", action="append", dest="backends", metavar="NAME",
                        help="pystray backend for the tray figures (repeatable; default gtk, else xorg)")
    parser.add_argument("--only", choices=("commands", "deb", "render", "gate", "tray"), action="append",
                        help="run only these groups of figures")
    args = parser.parse_args(argv)
    quick = args.quick
    groups = set(args.only or ("commands", "deb", "render", "gate", "tray"))
    started = time.monotonic()
    compile_sources()
    figures: list[dict] = []

    if "commands" in groups:
        import commands

        figures += _dicts(commands.measure(repeats=4 if quick else 60, warmup=1 if quick else 3))
    if "deb" in groups:
        figures += _deb(quick)
    if "render" in groups:
        import render_bench

        figures += _dicts(render_bench.measure(repeats=2 if quick else 15, calls=5 if quick else 30))
    if "gate" in groups:
        import gate_sim

        figures += _dicts(gate_sim.measure(repeats=1 if quick else 10, hours=4 if quick else 48))
    if "tray" in groups:
        figures += _tray(args.backends or [_default_backend()], quick)

    payload = {
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": socket.gethostname(),
        "quick": quick,
        "seconds": round(time.monotonic() - started, 1),
        "machine": machine(),
        "figures": figures,
    }
    print(table(figures))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    name = f"{stamp}-{socket.gethostname()}{'-quick' if quick else ''}.json"
    for path in (args.out / name, args.out / ("latest-quick.json" if quick else "latest.json")):
        dump(path, payload)
    print(f"\nwrote {args.out / name} ({payload['seconds']} s)")
    return 0


def _dicts(figures: list[Figure]) -> list[dict]:
    return [f.to_dict() for f in figures]


def _default_backend() -> str:
    return "gtk" if importlib.util.find_spec("gi") is not None else "xorg"


def _deb(quick: bool) -> list[dict]:
    """The installed .deb's statusline against the venv's; builds the .deb (its PyInstaller build is cached)."""
    missing = [t for t in ("dpkg-deb", "dpkg-shlibdeps", "patchelf") if shutil.which(t) is None]
    if importlib.util.find_spec("PyInstaller") is None:
        missing.append("PyInstaller (the test extra)")
    if missing:
        return [{"id": "deb_statusline", "name": "installed .deb statusline / venv statusline",
                 "skipped": f"needs {', '.join(missing)} (see .ci/run)"}]
    import deb_statusline

    return _dicts(deb_statusline.measure(repeats=4 if quick else 60, warmup=1 if quick else 3))


def _tray(backends: list[str], quick: bool) -> list[dict]:
    missing = [t for t in DESKTOP_TOOLS if shutil.which(t) is None]
    ids = [f"{k}_{b}" for b in backends for k in ("startup", "rss", "rss_fetched", "cpu_unchanged", "cpu_changing")]
    if missing:
        reason = f"needs {', '.join(missing)} (see .ci/run)"
        return [{"id": i, "name": i, "skipped": reason} for i in ids]
    import tray_figures

    figures = tray_figures.measure(
        backends, startup_repeats=2 if quick else 20, rss_repeats=1 if quick else 3,
        rss_ticks=60 if quick else 600, cpu_repeats=1 if quick else 2, cpu_ticks=40 if quick else 300,
        cpu_tick_s=0.1,  # many short ticks: per tick = the difference of two trays' CPU clocks over one window
    )
    return _dicts(figures)


def table(figures: list[dict]) -> str:
    head = ("figure", "median", "min", "max", "baseline median", "ratio med (min-max)", "target", "ok")
    rows = [head]
    for f in figures:
        if "skipped" in f:
            rows.append((f["name"], "-", "-", "-", "-", "-", "-", f"skipped: {f['skipped']}"))
            continue
        s, b, r, unit = f["subject"], f["baseline"], f["ratio"], f["unit"]
        rows.append((
            f["name"], f"{_num(s['median'])} {unit}", _num(s["min"]), _num(s["max"]),
            f"{_num(b['median'])}" if b else "-",
            f"{r['median']:.2f}x ({r['min']:.2f}-{r['max']:.2f})" if r else "-",
            f["target"], {True: "yes", False: "NO", None: "-"}[f["meets"]],
        ))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"


if __name__ == "__main__":
    sys.exit(main())
