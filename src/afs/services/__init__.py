"""Background services (`afs services …`): ``memory-export`` and ``context-warm``.

Run by the built-in supervisor (``start``/``stop``/``status``, state and logs in a state
folder) or by systemd/launchd (``install``). How they work and what they read: docs/services.md.
Names are resolved on first use, so `afs --help` imports nothing from here.
"""

from __future__ import annotations

from afs.lazy import lazy_exports

_EXPORTS = {
    "SERVICES": "afs.services.base",
    "Service": "afs.services.base",
    "get_service": "afs.services.base",
    "service_names": "afs.services.base",
    "MemoryExportService": "afs.services.builtin",
    "ContextWarmService": "afs.services.builtin",
    "install": "afs.services.install",
    "Judgement": "afs.services.state",
    "ServiceState": "afs.services.state",
    "services_dir": "afs.services.state",
    "ServiceError": "afs.services.supervisor",
    "list_services": "afs.services.supervisor",
    "restart": "afs.services.supervisor",
    "start": "afs.services.supervisor",
    "status": "afs.services.supervisor",
    "stop": "afs.services.supervisor",
}
__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
