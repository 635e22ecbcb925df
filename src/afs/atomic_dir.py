"""Write a file, a folder, or a set of files as one unit: build it in a hidden sibling, flush
it to disk, then swap it into place with one rename. A run killed at any moment leaves the old
output or the new one, never a half-written file or a mix of old and new files; the hidden
temporaries a killed run leaves are removed by the next write to the same place.

Light on purpose (stdlib only): everything that writes imports it.

Names of temporaries: ``.<name>.tmp-<pid>-<random>`` beside ``<name>`` (the pid tells a later
run whether the writer is gone), ``.<name>.old-<pid>-<random>`` for an old folder being set
aside where the filesystem cannot swap two folders in one step.

Outputs in different folders (a kept file and its rejects file) are committed as one unit by
:func:`atomic_outputs`: a commit journal ``.<name>.afs-commit`` beside each target lists the
set's temp -> target renames, and the journal written last is the commit point. Every writer
and every reader first calls :func:`complete_pending_commit`, which finishes a committed set
(or drops one whose writer died before its commit point), so nobody sees a mix.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

TEMP_TAG = "tmp"
OLD_TAG = "old"
KILL_POINT_ENV = "AFS_KILL_AT"
JOURNAL_TAG = "afs-commit"


def current_umask() -> int:
    """The process umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def give_default_mode(path: str | Path) -> None:
    """Give a file or folder made by ``mkstemp``/``mkdtemp`` (0600/0700, private) the mode a
    plain ``open``/``mkdir`` would have given it, before it is moved into place."""
    base = 0o777 if Path(path).is_dir() else 0o666
    os.chmod(path, base & ~current_umask())


def kill_point(name: str) -> None:
    """Fault injection for the kill tests: a process whose ``AFS_KILL_AT`` names this point
    SIGKILLs itself here (a real kill: no cleanup, no ``finally``)."""
    if os.environ.get(KILL_POINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


# ------------------------------------------------------------------ temporaries
def temp_prefix(path: Path, tag: str = TEMP_TAG) -> str:
    """The name start of this process's temporaries for ``path``."""
    return f".{path.name}.{tag}-{os.getpid()}-"


def _writer_pid(entry_name: str, target_name: str, tag: str) -> int | None:
    """The pid in a temporary's name ``.<target>.<tag>-<pid>-…``, or None if not one."""
    head = f".{target_name}.{tag}-"
    if not entry_name.startswith(head):
        return None
    pid = entry_name[len(head):].split("-", 1)[0]
    return int(pid) if pid.isdigit() else None


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_stale_temporaries(target: str | Path) -> None:
    """Clean up after a writer of ``target`` that was killed: remove its temporaries, and put
    back an old folder it had set aside when ``target`` itself is missing. Temporaries of a
    writer that is still running are left alone. A committed set of outputs the killed
    writer was renaming into place is finished first (its temporaries are the new files)."""
    target = Path(target)
    complete_pending_commit(target)
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        for tag in (OLD_TAG, TEMP_TAG):
            pid = _writer_pid(entry.name, target.name, tag)
            if pid is None or process_alive(pid):
                continue
            path = Path(entry.path)
            if tag == OLD_TAG and not target.exists() and not target.is_symlink():
                os.replace(path, target)  # killed between setting aside and moving in
            else:
                _remove(path)


# ------------------------------------------------------------------ flushing
def _fsync(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # e.g. a folder cannot be opened on this platform: nothing to flush
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Flush every file and folder under ``root`` to disk, so the rename that publishes it
    cannot be persisted before its contents."""
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                _fsync(path)
        _fsync(Path(folder), directory=True)


# ------------------------------------------------------------------ swapping
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange_paths(first: Path, second: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).
    False where the platform or filesystem cannot; other failures raise OSError."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                       _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def install_directory(staging: str | Path, output_dir: str | Path) -> None:
    """Move the finished ``staging`` folder to ``output_dir``, replacing an old one in one
    atomic swap: a reader (or a kill) sees the whole old folder or the whole new one."""
    staging, output_dir = Path(staging), Path(output_dir)
    if output_dir.is_dir() and not output_dir.is_symlink():
        shutil.copymode(output_dir, staging)  # the folder keeps the mode it had
    else:
        give_default_mode(staging)
    fsync_tree(staging)
    if not output_dir.exists():
        os.replace(staging, output_dir)
    elif exchange_paths(staging, output_dir):
        kill_point(f"installed:{output_dir.name}")
        shutil.rmtree(staging, ignore_errors=True)  # now the old folder
    else:
        # Two renames; a kill between them leaves the old folder set aside, and the next
        # run's remove_stale_temporaries puts it back.
        old = Path(tempfile.mkdtemp(prefix=temp_prefix(output_dir, OLD_TAG),
                                    dir=output_dir.parent))
        os.replace(output_dir, old)
        os.replace(staging, output_dir)
        kill_point(f"installed:{output_dir.name}")
        shutil.rmtree(old, ignore_errors=True)
    _fsync(output_dir.parent, directory=True)


def carry_over_entries(old_dir: Path, staging: Path, members: frozenset[str]) -> None:
    """Give ``staging`` every entry of ``old_dir`` that is not one of the set's ``members``
    (hard links: no copy of the data), so replacing the folder replaces only the set."""
    if not old_dir.is_dir():
        return
    for entry in os.scandir(old_dir):
        destination = staging / entry.name
        if entry.name in members or destination.exists() or destination.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.copytree(entry.path, destination, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry.path, destination)


def _link_or_copy(source: str, destination: str | Path) -> None:
    if os.path.islink(source):
        os.symlink(os.readlink(source), destination)
        return
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


@contextmanager
def atomic_directory(output_dir: str | Path,
                     members: Iterable[str] | None = None) -> Iterator[Path]:
    """Yield an empty staging folder beside ``output_dir``; on success it becomes
    ``output_dir`` in one swap, on an error it is removed and ``output_dir`` is left as it
    was. ``members``: the folder is shared, and only entries of these names make the set
    being written; the old folder's other entries are kept."""
    output_dir = Path(output_dir).expanduser()
    if output_dir.exists() and not output_dir.is_dir():
        # never swap a user's file for a folder
        raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder", str(output_dir))
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(output_dir)
    staging = Path(tempfile.mkdtemp(prefix=temp_prefix(output_dir), dir=output_dir.parent))
    try:
        yield staging
        if members is not None:
            carry_over_entries(output_dir, staging, frozenset(members))
        install_directory(staging, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def atomic_file_set(folder: str | Path, names: Iterable[str]) -> Iterator[dict[str, Path]]:
    """Write several files of one folder as one unit: yields ``{name: path to write}``
    (paths in a staging folder); when the block ends they replace the old files of these
    names all at once (an old file of a name not written is dropped), and the folder's
    other entries stay."""
    names = list(names)
    with atomic_directory(folder, members=names) as staging:
        yield {name: staging / name for name in names}


def stage_set_member(target: str | Path, members: Iterable[str],
                     write: Callable[[Path], None]) -> None:
    """Write ``target``, one file of a set (``members``: names in ``target``'s folder saved one
    at a time, e.g. a Kedro node's outputs), by ``write(path)`` into this process's staging
    folder for the set; once every member is staged, the set replaces the old one at once
    (the folder's other entries stay). A set never completed is never published."""
    target = Path(target).expanduser()
    folder, members = target.parent, sorted(set(members))
    if target.name not in members:
        raise ValueError(f"{target.name} is not one of its set's files {members}")
    key = hashlib.sha1("\0".join(members).encode()).hexdigest()[:8]
    staging = folder.parent / f"{temp_prefix(folder)}set{key}"
    if (staging / target.name).exists():  # an earlier round of this process never finished
        shutil.rmtree(staging)
    if not staging.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder)
        staging.mkdir()
    write_staged(staging, target.name, write)
    if all((staging / name).exists() for name in members):
        try:
            carry_over_entries(folder, staging, frozenset(members))
            install_directory(staging, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def write_staged(folder: Path, name: str, write: Callable[[Path], None]) -> Path:
    """``write(folder / name)``, one file of a set being staged; on an error the folder
    goes."""
    try:
        write(folder / name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    kill_point(f"wrote:{name}")
    return folder / name


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a free temp path beside ``path`` for a writer that opens it itself; what it
    wrote there (a file, or a folder) replaces ``path`` when the block ends without error."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    temp = Path(tempfile.mkdtemp(prefix=temp_prefix(path), dir=path.parent))
    written = temp / path.name
    try:
        yield written
        if written.is_dir():
            install_directory(written, path)
        else:
            give_default_mode(written)
            _fsync(written)
            os.replace(written, path)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    kill_point(f"wrote:{path.name}")


@contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Write to a temp file beside ``path`` and move it into place only on success."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, temp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        give_default_mode(temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    kill_point(f"wrote:{path.name}")


# ------------------------------------------------------------------ sets of outputs
def temp_folder_beside(target: Path) -> Path:
    """A new private folder for this process's temp of ``target``, beside it (what a killed
    writer of ``target`` left is cleaned up first)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    return Path(tempfile.mkdtemp(prefix=temp_prefix(target), dir=target.parent))


def commit_journal(target: str | Path) -> Path:
    """The commit journal beside ``target`` while a set of outputs it belongs to is renamed
    into place."""
    target = Path(target)
    return target.with_name(f".{target.name}.{JOURNAL_TAG}")


@contextmanager
def atomic_outputs(paths: Iterable[str | Path]) -> Iterator[dict]:
    """Write several files, in any folders (a kept file and its rejects file), as one unit.
    Yields ``{path as given: temp path to write}``. When the block ends without an error the
    files written replace their targets all at once, and a target whose temp path was never
    written is removed (a rejects file of an earlier run does not belong to a set without
    rejects); on an error nothing changes. A kill leaves the old set or the new one."""
    given = list(paths)
    targets = [Path(path).expanduser().absolute() for path in given]
    if len(set(targets)) != len(targets):
        raise ValueError(f"a set of outputs names a file twice: {', '.join(map(str, targets))}")
    for target in targets:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(target))
    folders = [temp_folder_beside(target) for target in targets]
    staged = {target: folder / target.name for target, folder in zip(targets, folders)}
    try:
        yield dict(zip(given, staged.values()))
    except BaseException:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    commit_outputs(staged)
    for folder in folders:  # empty now; kept on a failed commit, whose journals name them
        shutil.rmtree(folder, ignore_errors=True)


# members staged by this process, per set of outputs saved one at a time (Kedro datasets)
_STAGED_OUTPUTS: dict[tuple[Path, ...], dict[Path, Path]] = {}
_STAGED_LOCK = threading.Lock()  # a runner may save a node's outputs from several threads


def stage_output(target: str | Path, members: Iterable[str | Path],
                 write: Callable[[Path], None]) -> None:
    """Write ``target``, one file of a set of outputs in any folders (``members``: their
    paths, e.g. a Kedro node's outputs saved one at a time), by ``write(temp path)``; once
    every member is staged, the set is committed as one unit as by :func:`atomic_outputs`.
    A set never completed is never published (its temporaries are stale once we exit)."""
    target = Path(target).expanduser().absolute()
    key = tuple(sorted({Path(m).expanduser().absolute() for m in members}))
    if target not in key:
        raise ValueError(f"{target} is not one of its set's files {[str(m) for m in key]}")
    with _STAGED_LOCK:
        staged = _STAGED_OUTPUTS.setdefault(key, {})
        if target in staged:  # an earlier round of this process never finished: start again
            for temp in staged.values():
                shutil.rmtree(temp.parent, ignore_errors=True)
            staged.clear()
    temp = write_staged(temp_folder_beside(target), target.name, write)
    with _STAGED_LOCK:
        staged[target] = temp
        complete = len(staged) == len(key) and _STAGED_OUTPUTS.pop(key, None) is staged
    if complete:
        commit_outputs({member: staged[member] for member in key})
        for temp in staged.values():
            shutil.rmtree(temp.parent, ignore_errors=True)


def commit_outputs(staged: dict[Path, Path]) -> None:
    """Publish ``{target: written temp}`` as one unit: flush the temps, write a journal beside
    every target (the last one written is the commit point), rename, drop the journals."""
    members = []
    for target, temp in staged.items():
        written = temp.exists() or temp.is_symlink()
        if written:
            give_default_mode(temp)
            _fsync(temp)
            _fsync(temp.parent, directory=True)
        members.append({"target": str(target), "temp": str(temp) if written else None})
    kill_point("outputs:staged")
    journals = [commit_journal(target) for target in staged]
    record = {"id": secrets.token_hex(8), "pid": os.getpid(), "mark": str(journals[-1]),
              "members": members}
    for target, journal in zip(staged, journals):
        _write_journal(target, journal, record)
        kill_point(f"outputs:journal:{target.name}")
    roll_forward(record)


def _write_journal(target: Path, journal: Path, record: dict) -> None:
    fd, temp = tempfile.mkstemp(prefix=temp_prefix(target), suffix=".journal", dir=target.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(json.dumps(record).encode())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, journal)
    _fsync(journal.parent, directory=True)


def roll_forward(record: dict) -> None:
    """Finish a committed set: move the temps that are still there into place (an earlier try
    may have moved some), remove the targets left unwritten, then drop the journals, the
    commit point first (a journal whose commit point is gone changes no file)."""
    targets = [Path(member["target"]) for member in record["members"]]
    for target, member in zip(targets, record["members"]):
        if member["temp"] is None:
            target.unlink(missing_ok=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.replace(member["temp"], target)
        kill_point(f"outputs:renamed:{target.name}")
    for folder in {target.parent for target in targets}:
        _fsync(folder, directory=True)
    Path(record["mark"]).unlink(missing_ok=True)
    for target in targets:
        commit_journal(target).unlink(missing_ok=True)


def _read_journal(journal: Path) -> dict | None:
    try:
        text = journal.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise OSError(errno.EIO, "unreadable commit journal (not written by afs?)",
                      str(journal)) from None


def complete_pending_commit(path: str | Path) -> None:
    """Before ``path`` is read or written: if a set of outputs it belongs to was committed but
    not all renamed into place (its writer was killed), finish it, so that ``path`` and its
    partners are all new; a journal of a set never committed whose writer is gone is dropped
    (its files are still the old ones). One failed open when there is no journal."""
    journal = commit_journal(Path(path).expanduser())
    record = _read_journal(journal)
    if record is None:
        return
    mark = _read_journal(Path(record["mark"]))
    if mark is not None and mark.get("id") == record["id"]:
        roll_forward(record)
    elif not process_alive(int(record["pid"])):
        journal.unlink(missing_ok=True)
