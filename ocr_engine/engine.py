"""The pipeline, top to bottom: decode -> detect -> crop -> orient -> recognise -> order."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from .budget import Budget
from .classify import OrientationClassifier
from .detect import TextDetector, order_clockwise
from .errors import InvalidParameter, TooManyLines
from .io import ImageInput, Pages, TextLayerPage, open_pages
from .layout import could_be_one_line, looks_like_one_line, reading_order, titles_outside_columns
from .packs import ModelPack, find_pack
from .page_ranges import PageSelection
from .preprocess import CropGeometry, crop_quad, maybe_a_standing_glyph, rotate_points, upright_line
from .recognize import RecognizerParams, TextRecognizer
from .result import Box, Line, OcrResult, Page, Word
from .runtime import create_session, map_big_buffers, release_free_memory
from .settings import Settings
from .tables import find_tables
from .words import words_of

MODES = ("auto", "line", "page")
PageProgress = Callable[[int, int], None]  # (pages done, pages to read)
# The page's orientation is voted by this many of its longest lines.
PAGE_TURN_SAMPLE = 8


class OcrEngine:
    """Create once per process and reuse: it holds one ONNX Runtime session per model.
    Safe to call from several threads at once."""

    def __init__(self, pack: ModelPack | None = None, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self.pack = pack or find_pack(self.settings)
        threads = self.settings.intra_op_threads
        if self.settings.release_memory:
            map_big_buffers()  # before the sessions allocate
        det, cls = self.pack.model("det"), self.pack.model("cls")
        self.detector = TextDetector(create_session(det.path, threads), self.settings.detector)
        self.classifier = OrientationClassifier(
            create_session(cls.path, threads), height=cls.input.get("height", 48), width=cls.input.get("width", 192),
            threshold=self.settings.orientation_threshold,
        )
        self.recognizer = pack_recognizer(self.pack, threads, self.settings.reread_below)
        if self.settings.release_memory:
            release_free_memory()  # what loading the models freed (~19 MiB), not kept for the first page

    # --- public API -------------------------------------------------------------

    def read(self, image: ImageInput, mode: str = "auto", budget: Budget | None = None,
             max_pages: int | None = None, page_range: PageSelection | str | None = None,
             text_layer: str = "auto", tables: bool = False, on_page: PageProgress | None = None) -> OcrResult:
        """Read an image (bytes, path or numpy array in OpenCV's BGR order). A PDF or a
        multi-page TIFF is read as a document, page by page. `budget`: once it runs
        out (its deadline passes or its caller cancels), no further page or stage starts
        (DeadlineExceeded / Cancelled say how far the read got). `max_pages` sets the
        page limit for this read; `page_range` ((first, last), 1-based; several such, or
        "1-3,7") reads only those pages of a document, numbered as in the document.
        `text_layer` (auto|ignore|only): which PDF pages are read from their own text
        layer instead of OCR (ocr_engine/text_layer.py); those pages say `source: "text"`.
        `tables`: find each page's tables too (ocr_engine/tables). `on_page(done, count)`: progress, 0 then per page."""
        return self._read(image, mode, as_document=False, budget=budget, max_pages=max_pages, page_range=page_range,
                          text_layer=text_layer, tables=tables, on_page=on_page)

    def read_document(self, data: ImageInput, mode: str = "page", budget: Budget | None = None,
                      max_pages: int | None = None, text_layer: str = "auto", tables: bool = False) -> OcrResult:
        """Read every page of a PDF or TIFF (an image counts as one page); the result has `pages`."""
        return self._read(data, mode, as_document=True, budget=budget, max_pages=max_pages, text_layer=text_layer,
                          tables=tables)

    def iter_pages(self, data: ImageInput, mode: str = "page", budget: Budget | None = None,
                   text_layer: str = "auto", tables: bool = False) -> "ReadPages":
        """Read pages one at a time: iterate the returned object for `Page`s; it also has
        `count` and `is_document`. Limits are checked before it returns."""
        _check_mode(mode)
        pages = open_pages(data, self.settings, text_layer=text_layer, page_images=tables)
        return ReadPages(pages.count, pages.is_document, self._read_pages(pages, mode, {}, budget or Budget(), tables))

    # --- pipeline ---------------------------------------------------------------

    def _settings_for(self, max_pages: int | None) -> Settings:
        return self.settings if max_pages is None else self.settings.model_copy(update={"max_pages": max_pages})

    def _read(self, source: ImageInput, mode: str, as_document: bool, budget, max_pages: int | None,
              page_range: PageSelection | str | None = None, text_layer: str = "ignore",
              tables: bool = False, on_page: PageProgress | None = None) -> OcrResult:
        _check_mode(mode)
        timings: dict[str, float] = {}
        with _timed(timings, "decode"):
            pages = open_pages(source, self._settings_for(max_pages), page_range, text_layer, page_images=tables)
        report = on_page or (lambda done, count: None)
        report(0, pages.count)
        results: list[Page] = []
        for page in self._read_pages(pages, mode, timings, budget or Budget(), tables):
            results.append(page)
            report(len(results), pages.count)
        return OcrResult(results, is_document=as_document or pages.is_document, timings=timings)

    def _read_pages(self, pages: Pages, mode: str, timings: dict[str, float], budget: Budget,
                    tables: bool = False) -> Iterator[Page]:
        images = iter(pages)
        for previous, number in zip([None, *pages.numbers], pages.numbers):
            if previous is not None:
                budget.check(f"after page {previous} of {pages.total}")
            with _timed(timings, "decode"):
                image = next(images)
            if isinstance(image, TextLayerPage):
                page, image = self._text_page(image, number), image.image
            else:
                page = self._read_page(image, number, mode, timings, budget)
            if tables:
                with _timed(timings, "tables"):  # the text layer's page image: its rules are vector paths
                    page = replace(page, tables=find_tables(image, page.lines, page.width, page.height))
            del image
            if self.settings.release_memory and mode != "line":  # line reads stay flat without
                release_free_memory()  # the detector's buffers are large
            yield page

    def _read_page(self, image: np.ndarray, number: int, mode: str, timings: dict[str, float], budget: Budget) -> Page:
        height, width = image.shape[:2]
        if mode == "line":
            lines = self._read_as_line(image, timings)
        else:
            with _timed(timings, "detect"):
                boxes, _ = self.detector.detect(image)
            budget.check(f"after finding the lines of page {number}")
            if mode == "auto" and not len(boxes):
                # the detector saw no text (a crop of a word or two can be too small for it):
                # try the whole image as a line, kept only if the recogniser is sure of it
                lines = []
                if could_be_one_line(height, width):
                    lines = [line for line in self._read_as_line(image, timings) if self._is_confident_text(line)]
            elif mode == "auto" and looks_like_one_line(boxes, height, width):
                lines = self._read_as_line(image, timings)
            else:
                lines = self._read_turned_page(image, boxes, timings)
        return Page(number, width, height, lines)

    def _text_page(self, page: TextLayerPage, number: int) -> Page:
        if len(page.lines) > self.settings.max_lines:
            raise TooManyLines(f"page {number} has {len(page.lines)} lines of text; "
                               f"the limit is {self.settings.max_lines}")
        return Page(number, page.width, page.height, page.lines, source="text")

    def _read_as_line(self, image: np.ndarray, timings: dict[str, float]) -> list[Line]:
        ((text, confidence, words),) = self._recognize_words([upright_line(image)], timings,
                                                             [CropGeometry.of_image(image.shape)])
        height, width = image.shape[:2]
        box = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return [Line(text, confidence, box, words)]

    def _read_turned_page(self, image: np.ndarray, boxes: np.ndarray, timings: dict[str, float]) -> list[Line]:
        """Read a page photographed or scanned at 90, 180 or 270 degrees upright, so that its
        lines come in reading order; boxes stay in the input image's coordinates."""
        with _timed(timings, "classify"):
            turns, classified = self._quarter_turns_to_upright(image, boxes)
        if not turns:
            return self._read_lines(image, boxes, timings, classified)
        upright = np.ascontiguousarray(np.rot90(image, turns))
        with _timed(timings, "detect"):  # again: the detector finds lines upright better than turned
            boxes, _ = self.detector.detect(upright)
        lines = self._read_lines(upright, boxes, timings)
        back = (4 - turns) % 4

        def turned_back(box: Box) -> Box:
            points = rotate_points(np.array([box], np.float32), back, upright.shape)[0]
            return order_clockwise(points).round().astype(int).tolist()

        return [Line(line.text, line.confidence, turned_back(line.box),
                     [Word(w.text, w.confidence, turned_back(w.box)) for w in line.words]) for line in lines]

    def _quarter_turns_to_upright(self, image: np.ndarray, boxes: np.ndarray) -> tuple[int, dict[int, bool]]:
        """Counterclockwise quarter turns that bring the page's text upright (0-3). Lines
        run across the page or down it (the longest boxes' shape); which way up comes from
        the orientation classifier's vote over them, taken as the recogniser will see them.
        Also the vote: whether each box it classified is upside down, by index in `boxes`."""
        sides = np.linalg.norm(boxes - np.roll(boxes, -1, axis=1), axis=2)
        across, down = sides[:, [0, 2]].mean(axis=1), sides[:, [1, 3]].mean(axis=1)
        longest = np.argsort(-np.maximum(across, down))[:PAGE_TURN_SAMPLE]
        clear_lines = [i for i in longest if max(across[i], down[i]) >= 2 * min(across[i], down[i])]
        if not clear_lines:
            return 0, {}
        runs_down = sum(down[i] > across[i] for i in clear_lines) * 2 > len(clear_lines)
        # crop_quad turns a line that runs down a quarter turn counterclockwise
        upside_down = self.classifier.upside_down([crop_quad(image, boxes[i]) for i in clear_lines])
        flipped = upside_down.sum() * 2 > len(clear_lines)
        classified = {int(i): bool(flag) for i, flag in zip(clear_lines, upside_down)}
        if runs_down:
            titles = [i for i in clear_lines if across[i] >= 2 * down[i]]
            columns = [i for i in clear_lines if down[i] >= 2 * across[i]]
            if not flipped and titles_outside_columns(boxes[titles], boxes[columns]):
                return 0, classified  # vertical columns under a title across (CJK set vertically): read in place
            return 3 if flipped else 1, classified
        return 2 if flipped else 0, classified

    def _read_lines(self, image: np.ndarray, boxes: np.ndarray, timings: dict[str, float],
                    classified: dict[int, bool] | None = None) -> list[Line]:
        """The lines in `boxes`, in reading order; `classified`: boxes (by index) the orientation
        classifier has already seen in `image`, and whether it found each upside down."""
        if len(boxes) > self.settings.max_lines:
            raise TooManyLines(f"found {len(boxes)} text lines; the limit is {self.settings.max_lines}")
        with _timed(timings, "postprocess"):
            order = reading_order(boxes)
            boxes = boxes[order]
            crops = [crop_quad(image, box) for box in boxes]
        seen = {k: classified[i] for k, i in enumerate(order) if classified and i in classified}
        texts = self._recognize_words(crops, timings, [CropGeometry.of_quad(box) for box in boxes], seen)
        lines = [Line(text, confidence, box.round().astype(int).tolist(), words)
                 for (text, confidence, words), box in zip(texts, boxes)]
        return [line for line in lines if self._is_confident_text(line)]

    def _is_confident_text(self, line: Line) -> bool:
        return bool(line.text.strip()) and line.confidence >= self.settings.min_line_confidence

    def _recognize_words(self, crops: list[np.ndarray], timings: dict[str, float],
                         geometries: list[CropGeometry] | None = None,
                         upside_down: dict[int, bool] | None = None) -> list[tuple[str, float, list[Word]]]:
        """Text, confidence and words per crop (boxed where `geometries` say the crops lie;
        none without them). A crop the classifier finds upside down (or `upside_down` says is,
        by index, for crops it has already seen) is read
        both ways and the turned reading kept only if the recogniser explains the turned
        strip better (its best path is more probable): the classifier is small and can be
        wrong (a handwritten line it turned read as "d"), and a wrong turn must not cost a
        line that reads well as it is. Comparing the readings' confidence instead favours
        short ones ("─臉部·身體均通用─" at 0.8 lost to "一·一" at 0.95)."""
        known = dict(upside_down or {})
        unseen = [k for k in range(len(crops)) if k not in known]
        with _timed(timings, "classify"):
            known |= zip(unseen, self.classifier.upside_down([crops[k] for k in unseen]))
        flagged = [k for k in range(len(crops)) if known[k]]
        # a crop may be read another way: a half turn where the classifier finds it upside
        # down, or a quarter back where its tall box may hold one glyph standing upright (a
        # "3" alone in a table's cell, turned on its side, reads "m")
        turns = {int(i): 2 for i in flagged} | {k: -1 for k, place in enumerate(geometries or [])
                                                if maybe_a_standing_glyph(place)}
        with _timed(timings, "recognize"):
            readings, kept_other = self.recognizer.read_either_way(
                crops, {k: np.rot90(crops[k], quarters) for k, quarters in turns.items()})
        words: list[list[Word]] = [[] for _ in readings]
        with _timed(timings, "words"):
            for k, place in enumerate(geometries or []):
                if k in kept_other:
                    words[k] = words_of(readings[k], place.turned(turns[k]), np.rot90(crops[k], turns[k]))
                else:
                    words[k] = words_of(readings[k], place, crops[k])
        return [(reading.text, reading.confidence, found) for reading, found in zip(readings, words)]


def pack_recognizer(pack: ModelPack, threads: int, reread_below: float | None = None) -> TextRecognizer:
    """The pack's recogniser; where the pack has a fallback, the cascade with it, re-reading
    what the pack's rule doubts (`reread_below`: the rule's confidence instead; 0: no cascade)."""
    rec = pack.model("rec")
    fallback, rule = None, None
    if pack.has_fallback and reread_below != 0:
        spec, rule = pack.model("rec_fallback"), pack.reread_rule
        # a threshold set by hand replaces the pack's rule, its doubt model included
        rule = rule if reread_below is None else replace(rule, confidence=reread_below, model=None)
        fallback = TextRecognizer(create_session(spec.path, threads), pack.charset_of("rec_fallback"),
                                  RecognizerParams.from_manifest(spec.input))
    return TextRecognizer(create_session(rec.path, threads), pack.charset, RecognizerParams.from_manifest(rec.input),
                          fallback, rule)


@dataclass
class ReadPages:
    """An input's pages as they are read (`OcrEngine.iter_pages`): `Page`s, one at a time."""

    count: int
    is_document: bool
    pages: Iterator[Page]

    def __iter__(self) -> "ReadPages":
        return self

    def __next__(self) -> Page:
        return next(self.pages)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InvalidParameter(f"mode must be one of {', '.join(MODES)}, not {mode!r}")


@contextmanager
def _timed(timings: dict[str, float], stage: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start
