"""`ocr read`'s progress on stderr: a bar of files when several are read, and a bar of
pages for each document of more than one page (pages done of the total, pages a second,
time left), fed by the engine's `on_page` callback; the engine itself draws nothing.

tqdm draws the bars: it was already `ocr read`'s dependency, is small and pure Python, and
its default line is exactly what is asked for (`12/30 [00:09<00:13, 1.31page/s]`); rich
would add a larger dependency for the same line. It is imported only when a bar is drawn
(the Lambda layer leaves it out, docs/deploy.md)."""

from __future__ import annotations

import os
import sys
from typing import Any


def wanted(quiet: bool, forced: bool) -> bool:
    """Off with --quiet; on with --progress; else only where stderr is a terminal (a log
    file or a pipe gets no bars)."""
    if quiet:
        return False
    return forced or sys.stderr.isatty()


class Progress:
    def __init__(self, files: int, enabled: bool):
        self.enabled = enabled
        self.files = files
        self._tqdm: Any = None
        self._files_bar: Any = None
        self._pages_bar: Any = None
        self._name = ""
        if enabled:
            from tqdm import tqdm

            self._tqdm = tqdm
            self._columns = _columns()
            if files > 1:
                self._files_bar = tqdm(total=files, unit="file", desc="files", file=sys.stderr, mininterval=0,
                                       ncols=self._columns)

    def start_file(self, name: str) -> None:
        self._name = name

    def on_page(self, done: int, count: int) -> None:
        """The engine's callback: `done` of `count` pages of the current file."""
        if not self.enabled or count < 2:
            return
        if self._pages_bar is None:
            # one page a minute is still progress: draw every page, not every 0.1 s
            self._pages_bar = self._tqdm(total=count, unit="page", desc=_short(self._name), file=sys.stderr,
                                         mininterval=0, leave=self._files_bar is None, ncols=self._columns,
                                         position=1 if self._files_bar is not None else 0)
        self._pages_bar.update(done - self._pages_bar.n)

    def end_file(self) -> None:
        if self._pages_bar is not None:
            self._pages_bar.close()
            self._pages_bar = None
        if self._files_bar is not None:
            self._files_bar.update()

    def say(self, message: str) -> None:
        """A line on stderr that does not break the bars."""
        if self.enabled:
            self._tqdm.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr)

    def close(self) -> None:
        if self._pages_bar is not None:
            self._pages_bar.close()
        if self._files_bar is not None:
            self._files_bar.close()


def _columns() -> int | None:
    """The terminal's width; 80 for one that says it has none (a fresh pseudo-terminal),
    where tqdm would draw nothing; None (tqdm's own choice) where stderr is no terminal."""
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns or 80
    except (OSError, ValueError):
        return None


def _short(name: str, width: int = 30) -> str:
    return name if len(name) <= width else "..." + name[-(width - 3):]
