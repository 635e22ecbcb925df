"""`afs services install NAME`: hand a service to the init system of this machine.

With systemd user units it writes ``~/.config/systemd/user/afs-<name>.service`` and runs
``systemctl --user daemon-reload`` and ``enable --now``; on macOS it writes
``~/Library/LaunchAgents/com.afs.<name>.plist`` and runs ``launchctl load -w``. Nothing else
in the user's folders is touched. Both run ``python -m afs.services.runner NAME --foreground``
with the ``AFS_*`` variables set at install time and append to the same log that
`afs services logs` shows.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from afs.atomic_dir import atomic_write
from afs.services.base import get_service
from afs.services.state import RUNNER_MODULE, judge, log_path, read_state, services_dir
from afs.services.supervisor import ServiceError

SYSTEMD, LAUNCHD = "systemd", "launchd"
MANAGERS = (SYSTEMD, LAUNCHD)
ENV_PREFIX = "AFS_"
LEFT_OUT_ENV = ("AFS_DEBUG",)
COMMAND_TIMEOUT_S = 30


@dataclass
class UnitSpec:
    """Everything a unit or plist says about one service."""

    name: str
    description: str
    python: str
    log: Path
    working_dir: Path
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def argv(self) -> list[str]:
        return [self.python, "-m", RUNNER_MODULE, self.name, "--foreground"]


def unit_spec(name: str, env: dict[str, str] | None = None) -> UnitSpec:
    """The spec for ``name`` from this interpreter, the working folder and the ``AFS_*``
    variables (the state folder is pinned, so the unit logs where `afs services` looks)."""
    service = get_service(name)
    env = dict(os.environ if env is None else env)
    directory = services_dir(service.config)
    environment = {key: value for key, value in sorted(env.items())
                   if key.startswith(ENV_PREFIX) and key not in LEFT_OUT_ENV}
    environment["AFS_SERVICES_DIR"] = str(directory)
    return UnitSpec(name, service.description, sys.executable, log_path(directory, name),
                    Path.cwd(), environment)


def unit_path(manager: str, name: str, home: Path | None = None) -> Path:
    home = home or Path.home()
    if manager == SYSTEMD:
        return home / ".config" / "systemd" / "user" / f"afs-{name}.service"
    return home / "Library" / "LaunchAgents" / f"com.afs.{name}.plist"


def _systemd_escape(text: str) -> str:
    return text.replace("%", "%%")


def _systemd_word(text: str) -> str:
    """One ExecStart argument: quoted when it holds a space or a quote; ``$`` and ``%``
    escaped so systemd expands neither."""
    text = _systemd_escape(text).replace("$", "$$")
    if any(c in text for c in ' \t"\'\\;'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def systemd_unit(spec: UnitSpec) -> str:
    """The text of ``afs-<name>.service``."""
    lines = ["[Unit]", f"Description=AFS {spec.name}: {_systemd_escape(spec.description)}",
             "", "[Service]", "Type=simple",
             f"ExecStart={' '.join(_systemd_word(word) for word in spec.argv)}",
             f"WorkingDirectory={_systemd_escape(str(spec.working_dir))}",
             "Restart=on-failure", "RestartSec=30",
             f"StandardOutput=append:{_systemd_escape(str(spec.log))}",
             f"StandardError=append:{_systemd_escape(str(spec.log))}"]
    for key, value in spec.environment.items():
        escaped = _systemd_escape(f"{key}={value}").replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'Environment="{escaped}"')
    lines += ["", "[Install]", "WantedBy=default.target", ""]
    return "\n".join(lines)


def launchd_plist(spec: UnitSpec) -> bytes:
    """The XML of ``com.afs.<name>.plist`` (restarted when it exits with an error)."""
    return plistlib.dumps({
        "Label": f"com.afs.{spec.name}",
        "ProgramArguments": spec.argv,
        "EnvironmentVariables": spec.environment,
        "WorkingDirectory": str(spec.working_dir),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "StandardOutPath": str(spec.log),
        "StandardErrorPath": str(spec.log),
    }, fmt=plistlib.FMT_XML)


def unit_text(manager: str, spec: UnitSpec) -> str:
    return systemd_unit(spec) if manager == SYSTEMD else launchd_plist(spec).decode()


def default_manager() -> str:
    """launchd on macOS, else systemd (what ``--dry-run`` shows when neither is usable)."""
    return LAUNCHD if sys.platform == "darwin" else SYSTEMD


def manager_problem(manager: str) -> str | None:
    """Why ``manager`` cannot be used here, or None when it can."""
    if manager == LAUNCHD:
        if sys.platform != "darwin" or shutil.which("launchctl") is None:
            return "launchd is only on macOS"
        return None
    if not sys.platform.startswith("linux") or shutil.which("systemctl") is None:
        return "systemctl is not installed"
    result = _run(["systemctl", "--user", "show-environment"])
    if result.returncode != 0:
        why = (result.stderr or result.stdout).strip().splitlines()
        return f"systemctl --user has no user session ({why[-1] if why else 'no reason given'})"
    return None


@dataclass(frozen=True)
class InstallResult:
    manager: str
    path: Path
    text: str
    commands: tuple[str, ...]


def install(name: str, manager: str | None = None, dry_run: bool = False,
            home: Path | None = None) -> InstallResult:
    """Write and enable the unit or plist for ``name`` (with ``dry_run``, only build it)."""
    manager = manager or default_manager()
    if manager not in MANAGERS:
        raise ServiceError(f"unknown init system {manager!r}; choose {' or '.join(MANAGERS)}")
    spec = unit_spec(name)
    path = unit_path(manager, name, home)
    text = unit_text(manager, spec)
    commands = _enable_commands(manager, path)
    if dry_run:
        return InstallResult(manager, path, text, tuple(map(" ".join, commands)))
    problem = manager_problem(manager)
    if problem:
        raise ServiceError(f"cannot install {name} with {manager}: {problem}; the built-in "
                           f"supervisor works here: afs services start {name}")
    current = judge(name, read_state(services_dir(), name))
    if current.running and current.state.managed_by == "afs":
        raise ServiceError(f"{name} runs under `afs services start` ({current.detail}); stop it "
                           f"first: afs services stop {name}")
    with atomic_write(path, "w") as handle:
        handle.write(text)
    for command in commands:
        result = _run(command)
        if result.returncode != 0 and command[:2] != ["launchctl", "unload"]:
            detail = (result.stderr or result.stdout).strip() or f"exit code {result.returncode}"
            raise ServiceError(f"{' '.join(command)} failed ({detail}); {path} is written")
    return InstallResult(manager, path, text, tuple(map(" ".join, commands)))


def _enable_commands(manager: str, path: Path) -> list[list[str]]:
    if manager == SYSTEMD:
        return [["systemctl", "--user", "daemon-reload"],
                ["systemctl", "--user", "enable", "--now", path.name]]
    return [["launchctl", "unload", str(path)], ["launchctl", "load", "-w", str(path)]]


def _run(command: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False,
                              timeout=COMMAND_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as error:
        return subprocess.CompletedProcess(command, 1, "", str(error))
