"""Child processes that die with the process that started them.

A server or tool AFS starts must not outlive a killed parent (an orphaned llama.cpp server
keeps its port and its memory). On Linux the child asks the kernel for a signal when its
parent ends (``prctl(PR_SET_PDEATHSIG)``), which holds even for SIGKILL, where no cleanup code
of the parent runs. Elsewhere the parent's own cleanup (``with`` blocks, atexit) is all there
is. The ``afs services`` supervisor is the exception: its services are meant to outlive the
command that starts them, so it detaches them on purpose.

Light on purpose (stdlib only): the lowest floors (``asm``) use it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent(signum: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen`` that makes the child receive ``signum`` when
    this process ends (Linux), or None where the platform cannot. The function is resolved
    here, before the fork, so the child only calls it: nothing is imported or locked there.
    The thread that starts the child must live as long as the child should (the kernel signals
    when that thread ends): call it from the main thread or a long-lived one."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def set_parent_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, int(signum))
        if os.getppid() != parent:  # the parent ended before the call: nobody will signal
            os._exit(1)

    return set_parent_death_signal
