"""ALTO XML v4 (https://www.loc.gov/standards/alto/): pixel measurements, one Page per page
with its PrintSpace, the page's lines in one TextBlock in reading order, each line a TextLine
of String (words, each at its own box: see lines.py) and SP elements, WC the word's
confidence (0-1). Valid against every ALTO 4.x schema (4.0 to 4.3, tests/formats/test_alto.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..result import OcrResult, Page
from .lines import BBox, language_of, words_of, xml_text

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_VERSION = "4.3"
SCHEMA_LOCATION = f"{ALTO_NS} http://www.loc.gov/standards/alto/v4/alto-4-3.xsd"
SOFTWARE = "ocr-service"


def render_alto(result: OcrResult, source: bytes | None = None, *, source_name: str | None = None,
                model: str | None = None) -> bytes:
    alto = ET.Element("alto", {"xmlns": ALTO_NS, "xmlns:xsi": XSI_NS, "xsi:schemaLocation": SCHEMA_LOCATION,
                               "SCHEMAVERSION": SCHEMA_VERSION})
    description = ET.SubElement(alto, "Description")
    ET.SubElement(description, "MeasurementUnit").text = "pixel"
    if source_name:
        ET.SubElement(ET.SubElement(description, "sourceImageInformation"), "fileName").text = xml_text(source_name)
    processing = ET.SubElement(description, "Processing", {"ID": "ocr"})
    if model:
        ET.SubElement(processing, "processingStepSettings").text = xml_text(f"model pack: {model}")
    ET.SubElement(ET.SubElement(processing, "processingSoftware"), "softwareName").text = SOFTWARE
    layout = ET.SubElement(alto, "Layout")
    for page in result.pages:
        _add_page(layout, page)
    ET.indent(alto, space=" ")  # no mixed content in ALTO: whitespace between elements means nothing
    declaration = b'<?xml version="1.0" encoding="UTF-8"?>\n'
    return declaration + ET.tostring(alto, encoding="unicode").encode("utf-8") + b"\n"


def _add_page(layout: ET.Element, page: Page) -> None:
    number = page.number
    element = ET.SubElement(layout, "Page", {"ID": f"page_{number}", "PHYSICAL_IMG_NR": str(number),
                                             "WIDTH": str(page.width), "HEIGHT": str(page.height)})
    space = ET.SubElement(element, "PrintSpace", _position(BBox(0, 0, page.width, page.height)))
    lines = [(line, words_of(line, page)) for line in page.lines]
    lines = [(line, words) for line, words in lines if any(not w.is_space for w in words)]  # a TextLine needs a String
    if not lines:
        return
    boxes = [BBox.around(line.box, page) for line, _ in lines]
    block = ET.SubElement(space, "TextBlock", {"ID": f"block_{number}", **_position(BBox.union(boxes))})
    for index, ((line, words), box) in enumerate(zip(lines, boxes), start=1):
        text_line = ET.SubElement(block, "TextLine", {"ID": f"line_{number}_{index}", **_position(box)})
        if language := language_of(line.text):
            text_line.set("LANG", language)
        _add_strings(text_line, f"{number}_{index}", words, line.confidence)


def _add_strings(text_line: ET.Element, line_id: str, words, confidence: float) -> None:
    """String for each word, SP where spaces part two words (ALTO has no leading or trailing
    space; Chinese characters, a String each, follow one another without one)."""
    count = 0
    for position, word in enumerate(words):
        if word.is_space:
            if count and position < len(words) - 1:
                ET.SubElement(text_line, "SP", _position(word.bbox, with_height=False))
            continue
        count += 1
        word_confidence = confidence if word.confidence is None else word.confidence
        ET.SubElement(text_line, "String", {"ID": f"string_{line_id}_{count}", **_position(word.bbox),
                                            "CONTENT": xml_text(word.text), "WC": f"{word_confidence:.4f}"})


def _position(box: BBox, with_height: bool = True) -> dict[str, str]:
    position = {"HPOS": str(box.left), "VPOS": str(box.top), "WIDTH": str(box.width)}
    if with_height:
        position["HEIGHT"] = str(box.height)
    return position
