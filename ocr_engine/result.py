"""The result tree (OcrResult > Page > Line > Word) and its one serialiser."""

from __future__ import annotations

from dataclasses import dataclass, field

Box = list[list[int]]  # four [x, y] points, clockwise from top-left, input-image pixels


@dataclass(frozen=True)
class Word:
    """A Chinese (CJK) character, or a run of other characters between spaces, with the box
    where the recogniser saw it and the mean confidence of its characters."""

    text: str
    confidence: float
    box: Box

    def to_dict(self) -> dict:
        return {"text": self.text, "confidence": round(self.confidence, 4), "box": self.box}

    @classmethod
    def from_dict(cls, data: dict) -> "Word":
        return cls(data["text"], data["confidence"], data["box"])


@dataclass(frozen=True)
class Line:
    text: str
    confidence: float
    box: Box
    words: list[Word] = field(default_factory=list)  # in reading order; the line's text less its spaces

    def to_dict(self) -> dict:
        return {"text": self.text, "confidence": round(self.confidence, 4), "box": self.box,
                "words": [word.to_dict() for word in self.words]}

    @classmethod
    def from_dict(cls, data: dict) -> "Line":
        return cls(data["text"], data["confidence"], data["box"], [Word.from_dict(w) for w in data.get("words", [])])


@dataclass(frozen=True)
class Cell:
    """One cell of a table: 0-based `row` and `col` of its top-left grid position, how many
    rows and columns it spans, its lines (indices into its page's `lines`, in reading order)
    and their text joined by newlines; `box` is the cell's own area, not its text's."""

    row: int
    col: int
    row_span: int
    col_span: int
    text: str
    box: Box
    lines: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"row": self.row, "col": self.col, "row_span": self.row_span, "col_span": self.col_span,
                "text": self.text, "box": self.box, "lines": self.lines}

    @classmethod
    def from_dict(cls, data: dict) -> "Cell":
        return cls(data["row"], data["col"], data["row_span"], data["col_span"], data["text"], data["box"],
                   list(data.get("lines", [])))


@dataclass(frozen=True)
class Table:
    """A table found on a page (ocr_engine/tables): its box, its grid's size and its cells,
    row by row; every grid position is in exactly one cell (empty ones too)."""

    box: Box
    rows: int
    cols: int
    cells: list[Cell]

    def to_dict(self) -> dict:
        return {"box": self.box, "rows": self.rows, "cols": self.cols, "cells": [c.to_dict() for c in self.cells]}

    @classmethod
    def from_dict(cls, data: dict) -> "Table":
        return cls(data["box"], data["rows"], data["cols"], [Cell.from_dict(c) for c in data["cells"]])


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    width: int
    height: int
    lines: list[Line]
    source: str = "ocr"  # "text": read from the PDF's own text layer (ocr_engine/text_layer.py)
    tables: list[Table] = field(default_factory=list)  # found only when asked for (`tables=True`)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "width": self.width,
            "height": self.height,
            "source": self.source,
            "text": self.text,
            "lines": [line.to_dict() for line in self.lines],
            "tables": [table.to_dict() for table in self.tables],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Page":
        """A page back from its wire shape (a fanned-out document's parts are assembled from it)."""
        return cls(data["number"], data["width"], data["height"], [Line.from_dict(line) for line in data["lines"]],
                   data.get("source", "ocr"), [Table.from_dict(table) for table in data.get("tables", [])])


PAGE_SEPARATOR = "\f"  # as Tesseract separates pages


@dataclass(frozen=True)
class OcrResult:
    """What `read` returns. A document (PDF, multi-page TIFF) also has `pages`;
    its `lines` are then every page's lines in order, each in its own page's coordinates."""

    pages: list[Page]
    is_document: bool = False
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def lines(self) -> list[Line]:
        return [line for page in self.pages for line in page.lines]

    @property
    def text(self) -> str:
        return PAGE_SEPARATOR.join(page.text for page in self.pages)

    def to_dict(self) -> dict:
        """The wire shape (the CLI's; the API's and the drop folder's pydantic models build
        the same from these attributes): every page, and all lines and text at the top for
        convenience. An image is one page."""
        return {
            "text": self.text,
            "lines": [line.to_dict() for line in self.lines],
            "pages": [page.to_dict() for page in self.pages],
        }
