"""What this process writes while a block of code runs, and nothing that other processes
write meanwhile: a test that listed the whole shared temp folder before and after failed
when another process on the machine made a folder there (issue 25).

`watch_writes(folder)` gives the code a private temp folder (TMPDIR, which child processes
and C libraries read, and Python's `tempfile`) and a private working folder, both inside
`folder`, and records every file this process's Python code opens for writing, makes,
renames or removes anywhere (an audit hook, PEP 578). What it finds is `watch.written`."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_CHANGES = {"os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.symlink", "os.link", "os.truncate",
            "shutil.copyfile", "shutil.move"}
_watching: list[WriteWatch] = []


class WriteWatch:
    def __init__(self, folder: Path):
        self.temp = folder / "tmp"
        self.cwd = folder / "cwd"
        self.opened: list[str] = []  # what the audit hook saw, as "event path"

    @property
    def written(self) -> list[str]:
        """Everything found: files opened for writing or changed anywhere by this process's
        Python code, and anything left in the private temp or working folder (what a child
        process or a C library wrote there)."""
        left = [str(path) for root in (self.temp, self.cwd) for path in sorted(root.rglob("*"))]
        return self.opened + left


def _audit(event: str, args: tuple) -> None:
    if not _watching:
        return
    if event == "open":
        path, mode, flags = args
        if isinstance(path, int) or path == os.devnull:  # a descriptor already open (a pipe); nowhere
            return
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & _WRITE_FLAGS)
        if not writes:
            return
    elif event not in _CHANGES:
        return
    for watch in _watching:
        watch.opened.append(f"{event} {args[0]!r}")


sys.addaudithook(_audit)  # hooks cannot be removed: it does nothing unless a watch is on


@contextmanager
def watch_writes(folder: Path) -> Iterator[WriteWatch]:
    watch = WriteWatch(Path(folder))
    watch.temp.mkdir(parents=True)
    watch.cwd.mkdir(parents=True)
    saved_env, saved_tempdir, saved_cwd = os.environ.get("TMPDIR"), tempfile.tempdir, os.getcwd()
    os.environ["TMPDIR"] = str(watch.temp)
    tempfile.tempdir = str(watch.temp)
    os.chdir(watch.cwd)
    _watching.append(watch)
    try:
        yield watch
    finally:
        _watching.remove(watch)
        os.chdir(saved_cwd)
        tempfile.tempdir = saved_tempdir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
