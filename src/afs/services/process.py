"""Who a PID is: its start time and command line, so that a reused PID is never mistaken for
the process a state file recorded.

Linux reads ``/proc`` (start time = field 22 of ``/proc/<pid>/stat``, in clock ticks since boot,
tagged with the boot id so that a PID and tick count repeated after a reboot do not match);
elsewhere psutil when it is installed, else ``ps``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

PROC = Path("/proc")
BOOT_ID = PROC / "sys" / "kernel" / "random" / "boot_id"
_LINUX_TOKEN = re.compile(r"[^:\s]+:\d+")


def pid_exists(pid: int) -> bool:
    """True when ``pid`` is a live process (a zombie, dead but not yet reaped, is not)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    return not _is_zombie(pid)


def process_start_time(pid: int) -> str | None:
    """An opaque token for when ``pid`` started (None when there is no such process). Two
    processes that ever held one PID have different tokens."""
    stat = _proc_stat(pid)
    if stat is not None:
        boot = BOOT_ID.read_text().strip() if BOOT_ID.exists() else "boot"
        return f"{boot}:{stat[19]}"  # field 22: fields after "pid (comm)" start at field 3
    psutil = _psutil()
    if psutil is not None:
        try:
            return f"{psutil.Process(pid).create_time():.2f}"
        except psutil.Error:
            return None
    return _ps(pid, "lstart=")


def started_in_another_boot(token: str, recorded: str) -> bool:
    """True when two Linux start tokens come from different boots (a restarted machine)."""
    boots = [t.split(":")[0] for t in (token, recorded) if _LINUX_TOKEN.fullmatch(t)]
    return len(boots) == 2 and boots[0] != boots[1]


def process_cmdline(pid: int) -> str | None:
    """``pid``'s command line as one space-joined string, or None when it cannot be read."""
    path = PROC / str(pid) / "cmdline"
    if path.exists():
        try:
            return path.read_bytes().rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return None
    psutil = _psutil()
    if psutil is not None:
        try:
            return " ".join(psutil.Process(pid).cmdline())
        except psutil.Error:
            return None
    return _ps(pid, "command=")


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3… of ``/proc/<pid>/stat`` (the command name may hold spaces and parentheses,
    so split after its last ``)``)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _is_zombie(pid: int) -> bool:
    stat = _proc_stat(pid)
    if stat is not None:
        return stat[0] in ("Z", "X")
    if sys.platform.startswith("linux"):
        return False
    state = _ps(pid, "state=")
    return bool(state) and state.startswith("Z")


def _psutil():
    try:
        import psutil
    except ImportError:
        return None
    return psutil


def _ps(pid: int, field: str) -> str | None:
    ps = shutil.which("ps")
    if ps is None:
        return None
    result = subprocess.run([ps, "-o", field, "-p", str(pid)], capture_output=True, text=True,
                            check=False)
    value = result.stdout.strip()
    return value if result.returncode == 0 and value else None
