"""The stages that bound a page's working memory: the detector's strips and the
recogniser's batch width."""

import copy
from dataclasses import replace

import numpy as np
import pytest
from rapidfuzz import fuzz

from ocr_engine.detect import MIN_STRIP, TextDetector, strip_rows
from ocr_engine.recognize import TextRecognizer
from tests.conftest import EVAL
from tests.engine.sessions import SessionRecorder


@pytest.mark.parametrize("height,width", [(1984, 832), (2016, 1504), (736, 736), (256, 2000), (1600, 736), (96, 320)])
def test_strips_own_every_row_once_and_stay_within_the_budget(height, width):
    budget, overlap = 640 * 640, 64
    strips = strip_rows(height, width, budget, overlap)
    owned = np.zeros(height, int)
    for start, end, keep_start, keep_end in strips:
        assert start <= keep_start < keep_end <= end
        assert start % 32 == 0 and (end - start) % 32 == 0
        assert (end - start) * width <= max(budget, MIN_STRIP * width) or len(strips) == 1
        owned[keep_start:keep_end] += 1
    assert (owned == 1).all()


def test_strips_find_the_same_lines_as_one_pass(engine):
    """A receipt taller than one strip: its lines and texts match a single whole-image pass."""
    image = (EVAL / "pages" / "sroie_079.jpg").read_bytes()
    stripped = engine.read(image, mode="page")
    one_pass = copy.copy(engine)  # the shared engine is left as it is; the sessions are shared read-only
    one_pass.detector = TextDetector(engine.detector.session, replace(engine.detector.params, tile_pixels=10**9))
    whole = one_pass.read(image, mode="page")
    assert len(whole.lines) > 30
    assert abs(len(stripped.lines) - len(whole.lines)) <= 0.05 * len(whole.lines)
    assert fuzz.ratio(stripped.text, whole.text) >= 95


def test_a_pages_strips_keep_the_detector_warm_and_release_it_once(engine):
    """Shrunk after every strip, each run faulted its working memory in again (the detector
    1.5x slower); the arena is released once the image's runs are done."""
    session = SessionRecorder(engine.detector.session)
    detector = TextDetector(session, engine.detector.params)
    image = np.full((1527, 1080, 3), 255, np.uint8)
    detector.detect(image)
    assert len(session.shapes) > 2  # strips
    assert session.events == ["warm"] * len(session.shapes) + ["release"]


def test_batches_of_wide_strips_stay_within_the_batch_width(engine):
    session = SessionRecorder(engine.recognizer.session)
    recognizer = TextRecognizer(session, engine.pack.charset, engine.recognizer.params)
    widths = [40, 100, 300, 500, 700, 900, 1000, 1000, 1000, 60, 80]
    recognizer.recognize([np.full((48, w, 3), 255, np.uint8) for w in widths])
    params = recognizer.params
    assert sum(shape[0] for shape in session.shapes) == len(widths)
    for batch, _, _, width in session.shapes:
        assert batch <= params.max_batch
        assert batch == 1 or batch * width <= params.max_batch_width


_PAGES_PEAK = """
import sys

import ocr_engine.engine
from ocr_engine import OcrEngine, Settings

if sys.argv[1] == "heap":
    ocr_engine.engine.map_big_buffers = lambda: None
engine = OcrEngine(settings=Settings.from_env(threads=1))
for page in sys.argv[2:]:
    engine.read(page, mode="page")
# VmHWM, not ru_maxrss: ru_maxrss survives exec and would count the forking test process
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(int(status["VmHWM"].split()[0]) / 1024)
"""


def pages_peak_mib(mode: str, pages: list[str]) -> float:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _PAGES_PEAK, mode, *pages], capture_output=True, text=True,
                          check=True, timeout=300)
    return float(done.stdout)


def test_big_buffers_go_back_to_the_os_between_pages():
    """The dev pages in one process, twice over: with the engine's map_big_buffers, what a
    page freed leaves at once, and later pages' detectors do not stack on top of it. Three
    receipts used to show it (225-240 MiB against 263-291); since the detector keeps its
    arena warm through a page's strips, glibc's heap churns less and it shows over more
    pages. Once through the dev pages, ppocr-v6 measured 203 against 220-223; the cascade
    (two recognisers) 207-209 against 218-232, once within 10 in a full suite run; twice
    through, 211 against 230-250."""
    pages = sorted(str(path) for path in (EVAL / "pages").iterdir()) * 2
    mapped, heap = pages_peak_mib("mapped", pages), pages_peak_mib("heap", pages)
    assert mapped < heap - 10, (mapped, heap)


_ARENA_HELD = """
import sys

from ocr_engine import OcrEngine, Settings

engine = OcrEngine(settings=Settings.from_env(threads=1))
engine.read(sys.argv[1], mode="page")


def resident_mib():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20


after_page = resident_mib()
# a run with shrinkage hands back whatever the stage's arena still held after the page
getattr(engine, sys.argv[2]).session.release_arena()
print(after_page - resident_mib())
"""


def arena_held_after_page_mib(stage: str) -> float:
    """What a shrinking run of `stage`'s session (recognizer, detector) hands back after a receipt."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _ARENA_HELD, str(EVAL / "pages" / "sroie_079.jpg"), stage],
                          capture_output=True, text=True, check=True, timeout=300)
    return float(done.stdout)


def test_the_recogniser_holds_no_arena_memory_between_pages():
    """After a receipt, the recogniser's arena holds nothing: it stays warm within a page and
    is shrunk once the page's lines are read (Session.release_arena). Shrunk after every run
    instead, the region holding each run's output outlived the run's shrinkage, and 16-31
    MiB stayed between pages, under the next page's detector peak."""
    held = arena_held_after_page_mib("recognizer")
    assert held < 3, held


def test_the_detector_holds_no_arena_memory_between_pages():
    """After a receipt read in strips kept warm, the detector's arena holds nothing."""
    held = arena_held_after_page_mib("detector")
    assert held < 3, held


_HELD_AFTER_PAGES = """
import sys

from ocr_engine import OcrEngine, Settings
from ocr_engine.runtime import Session

if sys.argv[1] == "shrink-every-run":
    # the engine before it kept the recogniser warm through a page: every run shrinks the
    # arena, and nothing is run to size each session's first region
    run = Session.run
    Session.run = lambda self, outputs, feeds, shrink=True: run(self, outputs, feeds)
    Session.release_arena = lambda self: None


def resident_mib():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20


engine = OcrEngine(settings=Settings.from_env(threads=1))
loaded = resident_mib()
for page in sys.argv[2:]:
    engine.read(page, mode="page")
print(resident_mib() - loaded)
"""


def held_after_pages_mib(mode: str, pages: list[str]) -> float:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _HELD_AFTER_PAGES, mode, *pages], capture_output=True, text=True,
                          check=True, timeout=300)
    return float(done.stdout)


def test_between_pages_the_engine_holds_little_more_than_loaded():
    """Two receipts read, the engine holds far less above what it held loaded than when
    every run shrank the arena and the sessions' first regions were sized by a page's
    first request (the classifier's 12 MiB, the recogniser's 8), and the recogniser's last
    region outlived its run. Measured on one machine: 15 against 39 MiB; the absolute
    figure moves with the CPU (28 MiB on another), so the two are compared side by side."""
    pages = [str(EVAL / "pages" / name) for name in ("sroie_079.jpg", "sroie_019.jpg")]
    held, before = held_after_pages_mib("engine", pages), held_after_pages_mib("shrink-every-run", pages)
    assert held < before - 10, (held, before)
