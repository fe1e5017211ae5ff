"""Ending a time-boxed helper process (`security`, `claude --version`) that did not answer in time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the process and everything it started (it runs in its own session on POSIX).

    The pipe is closed rather than read: a grandchild that escaped the group could hold it open forever.
    """
    try:
        if sys.platform != "win32":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except OSError:
        pass  # already gone
    if process.stdout is not None:
        process.stdout.close()
    try:
        process.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        pass
