"""An index path and its generations: every build writes a new generation directory beside the path, then turns
the path (a symbolic link) to it with one atomic rename.

For an index at ``parent/NAME``:

- ``parent/.NAME.partial-PID-NS`` — a build in progress; a build whose process is gone left it, and the next
  build removes it;
- ``parent/.NAME.gen-NS`` — a complete generation: renamed from its staging name only once every file is written
  and flushed to disk, so a name of this form always holds a whole index;
- ``parent/NAME`` — a symbolic link to the live generation, replaced by ``os.replace`` (atomic): a reader
  resolves it once and reads that generation to the end, a crash leaves the old link or the new one.

After the swap only the live generation and the one before it are kept: a server that has not reloaded yet keeps
reading the previous one (its files are open or mapped, so even removing them would not disturb it). A path that
is a plain directory (an index written before generations) becomes the first previous generation at the next
build; a path that is missing while complete generations exist (a crash in that one-time move) is read as the
newest of them.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

logger = logging.getLogger(__name__)

KEPT_PREVIOUS = 1
"""Generations kept besides the live one."""


def _marked(index_path: Path, kind: str) -> list[Path]:
    """The entries beside ``index_path`` named ``.NAME.<kind>-…``, in name order (oldest first for generations)."""
    prefix = f".{index_path.name}.{kind}-"
    if not index_path.parent.is_dir():
        return []
    return sorted(entry for entry in index_path.parent.iterdir() if entry.name.startswith(prefix))


def generations(index_path: Path) -> list[Path]:
    """The complete generations beside ``index_path``, oldest first."""
    return [entry for entry in _marked(index_path, "gen") if entry.is_dir() and not entry.is_symlink()]


def live_generation(index_path: Path) -> Path | None:
    """The directory ``index_path`` serves, resolved once (read every file of an index from it, so that a swap in
    the meantime cannot mix two generations); ``None`` when there is no index."""
    if index_path.is_symlink():
        target = index_path.resolve()
        return target if target.is_dir() else None
    if index_path.is_dir():
        return index_path
    complete = generations(index_path)
    return complete[-1] if complete else None


def new_staging(index_path: Path) -> Path:
    """A fresh staging directory for a build of ``index_path``, after removing what killed builds left."""
    index_path.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned(index_path)
    staging = index_path.parent / f".{index_path.name}.partial-{os.getpid()}-{time.time_ns()}"
    staging.mkdir()
    return staging


def publish(staging: Path, index_path: Path) -> Path:
    """Make the finished ``staging`` the live generation of ``index_path`` and return its directory."""
    _flush_tree(staging)
    if index_path.is_dir() and not index_path.is_symlink():
        index_path.rename(_generation_name(index_path))
    generation = _generation_name(index_path)
    staging.rename(generation)
    link = index_path.parent / f".{index_path.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(generation.name)
    os.replace(link, index_path)
    _flush_directory(index_path.parent)
    remove_retired(index_path)
    return generation


def remove_retired(index_path: Path) -> None:
    """Remove the generations older than the live one and the ``KEPT_PREVIOUS`` newest others."""
    live = live_generation(index_path)
    others = [generation for generation in generations(index_path) if generation != live]
    for generation in others[: max(len(others) - KEPT_PREVIOUS, 0)]:
        shutil.rmtree(generation, ignore_errors=True)


def remove_abandoned(index_path: Path) -> None:
    """Remove staging directories and link files whose build process is gone (and those of earlier versions'
    builds: ``.building-PID`` and ``.retired-PID``)."""
    for kind in ("partial", "link", "building", "retired"):
        for entry in _marked(index_path, kind):
            pid = _pid_of(entry.name.split(f".{kind}-", 1)[1])
            if pid is not None and pid != os.getpid() and _alive(pid):
                continue
            logger.info("removing %s, left by a build that did not finish", entry)
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _generation_name(index_path: Path) -> Path:
    return index_path.parent / f".{index_path.name}.gen-{time.time_ns():020d}"


def _pid_of(suffix: str) -> int | None:
    head = suffix.split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _flush_tree(directory: Path) -> None:
    """Flush every file under ``directory`` and the directories themselves to disk, so that a generation's name
    never points at data a power cut could still lose."""
    for root, _, files in os.walk(directory):
        for name in files:
            descriptor = os.open(Path(root) / name, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        _flush_directory(Path(root))


def _flush_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
