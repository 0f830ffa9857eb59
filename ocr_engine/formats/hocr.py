"""hOCR 1.2 (http://kba.github.io/hocr-spec/1.2/): XHTML that parses the same as HTML, one
`ocr_page` per page, one `ocr_line` per line (bbox, x_wconf 0-100, textangle when turned,
lang) and its words as `ocrx_word` (each at its own box: see lines.py). A page's tables
(when the read found them) are `ocr_table` divs where their first line would be, each cell
that holds lines an `ocr_carea` div (bbox, and x_cell: row col row_span col_span, 0-based)
around them; a line in two cells is written in the first."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..result import OcrResult
from .lines import SCRIPTS, BBox, LineFrame, language_of, languages_of, words_of, xml_text

XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Every class and property this writer can produce (the spec asks for all of them, even
# those a given document lacks).
CAPABILITIES = "ocr_page ocr_table ocr_carea ocr_line ocrx_word ocrp_lang"
SOFTWARE = "ocr-service"
TURNED_DEGREES = 1  # a line turned less than this is written as level (no textangle)


def render_hocr(result: OcrResult, source: bytes | None = None, *, source_name: str | None = None,
                model: str | None = None) -> bytes:
    languages = languages_of(result.pages)
    html = ET.Element("html", {"xmlns": XHTML})
    if languages:
        html.set("lang", languages[0])
        html.set(XML_LANG, languages[0])
    html.text = "\n"
    head = _child(html, "head", tail="\n")
    head.text = "\n"
    _child(head, "title", text=xml_text(f"OCR of {source_name}" if source_name else "OCR result"), tail="\n")
    _child(head, "meta", {"charset": "utf-8"}, tail="\n")
    for name, content in (
        ("ocr-system", f"{SOFTWARE} ({model})" if model else SOFTWARE),
        ("ocr-capabilities", CAPABILITIES),
        ("ocr-number-of-pages", str(len(result.pages))),
        ("ocr-langs", " ".join(languages) or "unknown"),
        ("ocr-scripts", " ".join(SCRIPTS[lang] for lang in languages) or "unknown"),
    ):
        _child(head, "meta", {"name": name, "content": xml_text(content)}, tail="\n")
    body = _child(html, "body", tail="\n")
    body.text = "\n"
    for page in result.pages:
        properties = [f"bbox 0 0 {page.width} {page.height}", f"ppageno {page.number - 1}"]
        if source_name:
            properties.insert(0, f"image {_quoted(source_name)}")
        div = _child(body, "div", {"class": "ocr_page", "id": f"page_{page.number}", "title": "; ".join(properties)},
                     tail="\n")
        div.text = "\n"  # never an empty element: an HTML parser reads <div/> as an open tag
        places, starts = _table_places(page)
        for index, line in enumerate(page.lines, start=1):
            line_id = f"line_{page.number}_{index}"
            if index - 1 in starts:
                div.append(starts[index - 1])
            parent = places.get(index - 1, div)
            confidence = f"x_wconf {round(line.confidence * 100)}"
            properties = [_bbox(BBox.around(line.box, page))]
            angle = round(LineFrame.of(line).angle)
            if abs(angle) >= TURNED_DEGREES:
                properties.append(f"textangle {angle}")
            title = "; ".join([*properties, confidence])
            span = _child(parent, "span", {"class": "ocr_line", "id": line_id, "title": title}, tail="\n")
            if language := language_of(line.text):
                span.set("lang", language)
            _add_words(span, line_id, words_of(line, page), line.confidence)
    declaration = b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
    return declaration + ET.tostring(html, encoding="unicode").encode("utf-8") + b"\n"


def _table_places(page) -> tuple[dict[int, ET.Element], dict[int, ET.Element]]:
    """The cell (an ocr_carea in its ocr_table) each line of a table goes into, and each
    table by the line it goes before (its first), by the lines' indices."""
    places: dict[int, ET.Element] = {}
    starts: dict[int, ET.Element] = {}
    for number, table in enumerate(page.tables, start=1):
        first = min((i for cell in table.cells for i in cell.lines if i not in places), default=None)
        if first is None:
            continue
        element = ET.Element("div", {"class": "ocr_table", "id": f"table_{page.number}_{number}",
                                     "title": _bbox(BBox.around(table.box, page))})
        element.text, element.tail = "\n", "\n"
        for cell in table.cells:
            lines = [i for i in cell.lines if i not in places]
            if not lines:
                continue
            spans = f"x_cell {cell.row} {cell.col} {cell.row_span} {cell.col_span}"
            area = _child(element, "div", {"class": "ocr_carea", "title": f"{_bbox(BBox.around(cell.box, page))}; "
                                           f"{spans}"}, text="\n", tail="\n")
            places.update((i, area) for i in lines)
        starts[first] = element
    return places, starts


def _add_words(span: ET.Element, line_id: str, words, line_confidence: float) -> None:
    """The words as ocrx_word spans and the spaces between them as text, so that the line's
    text content is the line's text, exactly."""
    last, count = None, 0
    for word in words:
        if word.is_space:
            if last is None:
                span.text = (span.text or "") + word.text
            else:
                last.tail = (last.tail or "") + word.text
            continue
        count += 1
        confidence = line_confidence if word.confidence is None else word.confidence
        last = _child(span, "span", {"class": "ocrx_word", "id": f"word_{line_id.removeprefix('line_')}_{count}",
                                     "title": f"{_bbox(word.bbox)}; x_wconf {round(confidence * 100)}"},
                      text=xml_text(word.text))


def _child(parent: ET.Element, tag: str, attributes: dict | None = None, *, text: str | None = None,
           tail: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes or {})
    element.text, element.tail = text, tail
    return element


def _bbox(box: BBox) -> str:
    return f"bbox {box.left} {box.top} {box.right} {box.bottom}"


def _quoted(value: str) -> str:
    """A title property's string value: in double quotes, with quotes and backslashes escaped."""
    return '"' + xml_text(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
