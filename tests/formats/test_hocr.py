"""hOCR from the engine's real reading, parsed as a browser would (lxml's HTML parser) and as
XHTML (lxml's XML parser), and held to the hOCR 1.2 spec: the metadata every document must
have, ocr_page / ocr_line / ocrx_word with their title properties in the spec's grammar.

hocr-tools' hocr-check is not used: Debian does not package it, and on PyPI it is a 2017
release (hocr-tools 1.1.1) whose checks are fewer than these."""

import re

import pytest
from lxml import etree, html

from ocr_engine import Line, OcrResult, Page
from ocr_engine.formats.hocr import render_hocr
from tests.conftest import encode
from tests.formats.conftest import draw_lines

XHTML = "{http://www.w3.org/1999/xhtml}"
PROPERTY = re.compile(r'^\s*(?P<name>[a-z_]+)\s+(?P<value>"(?:[^"\\]|\\.)*"|[^;"]+?)\s*$')


def title_properties(element) -> dict[str, str]:
    """The title attribute by the spec's grammar: `name value(s)` pairs separated by `;`."""
    properties = {}
    for part in re.split(r';(?=(?:[^"]*"[^"]*")*[^"]*$)', element.get("title")):  # no split inside quotes
        match = PROPERTY.match(part)
        assert match, f"not a property: {part!r}"
        assert match["name"] not in properties
        properties[match["name"]] = match["value"]
    return properties


def bbox(element) -> tuple[int, ...]:
    value = title_properties(element)["bbox"]
    assert re.fullmatch(r"\d+ \d+ \d+ \d+", value), value
    return tuple(int(v) for v in value.split())


def by_class(tree, name: str) -> list:
    return tree.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]")


@pytest.fixture(scope="module")
def receipt_hocr(receipt):
    data, result = receipt
    return result, render_hocr(result, data, source_name="receipt.png", model="ppocr-v6 test")


def test_it_parses_the_same_as_html_and_as_xhtml(receipt_hocr):
    result, document = receipt_hocr
    as_html = html.document_fromstring(document)
    as_xml = etree.fromstring(document)  # well-formed XML: an XHTML document
    assert as_xml.tag == XHTML + "html"
    for name in ("ocr_page", "ocr_line", "ocrx_word"):
        in_xml = [e.get("id") for e in as_xml.iter() if e.get("class") == name]
        assert [e.get("id") for e in by_class(as_html, name)] == in_xml
    assert len(by_class(as_html, "ocr_page")) == 1 and len(by_class(as_html, "ocr_line")) == len(result.lines)


def test_the_metadata_the_spec_requires_is_there_once(receipt_hocr):
    _, document = receipt_hocr
    tree = html.document_fromstring(document)
    metas = {}
    for meta in tree.xpath("//head/meta[@name]"):
        assert meta.get("name") not in metas
        metas[meta.get("name")] = meta.get("content")
    assert metas["ocr-system"].startswith("ocr-service") and "ppocr-v6 test" in metas["ocr-system"]
    assert metas["ocr-number-of-pages"] == "1"
    assert metas["ocr-langs"] == "zh" and metas["ocr-scripts"] == "Hani"
    # every class and property in the document is a declared capability
    capabilities = set(metas["ocr-capabilities"].split())
    used = {c for e in tree.xpath("//*[@class]") for c in e.get("class").split() if c.startswith("ocr")}
    assert used <= capabilities
    assert ("ocrp_lang" in capabilities) == bool(tree.xpath("//body//*[@lang]"))


def test_pages_lines_and_words_carry_the_engines_boxes_and_confidences(receipt_hocr):
    result, document = receipt_hocr
    tree = html.document_fromstring(document)
    (page_element,) = by_class(tree, "ocr_page")
    (page,) = result.pages
    properties = title_properties(page_element)
    assert bbox(page_element) == (0, 0, page.width, page.height)
    assert properties["ppageno"] == "0" and properties["image"] == '"receipt.png"'
    for element, line in zip(by_class(tree, "ocr_line"), result.lines, strict=True):
        xs, ys = [p[0] for p in line.box], [p[1] for p in line.box]
        assert bbox(element) == (min(xs), min(ys), max(xs), max(ys))
        assert title_properties(element)["x_wconf"] == str(round(line.confidence * 100))
        assert element.text_content() == line.text  # words and the spaces between them, exactly
        words = by_class(element, "ocrx_word")
        assert [w.text_content() for w in words] == [word.text for word in line.words]  # a Chinese character each
        assert [title_properties(w)["x_wconf"] for w in words] == [str(round(w.confidence * 100)) for w in line.words]
        left, top, right, bottom = bbox(element)
        word_boxes = [bbox(w) for w in words]
        for (x0, y0, x1, y1), word in zip(word_boxes, line.words):
            assert left <= x0 <= x1 <= right and top <= y0 <= y1 <= bottom
            xs, ys = [p[0] for p in word.box], [p[1] for p in word.box]  # the word's own box, not a share of the line
            assert (x0, y0, x1, y1) == (min(xs), min(ys), max(xs), max(ys))
        assert [b[0] for b in word_boxes] == sorted(b[0] for b in word_boxes)  # left to right, as they read
    ids = [e.get("id") for e in tree.xpath("//*[@id]")]
    assert len(ids) == len(set(ids))


def test_lines_say_their_language(engine):
    image = encode(draw_lines(["中文的一行字", "An English line only", "2026-11-27 14:05"], size=(900, 420)))
    result = engine.read(image)
    document = render_hocr(result, image)
    langs = {e.text_content(): e.get("lang") for e in by_class(html.document_fromstring(document), "ocr_line")}
    assert [langs.get(line.text) for line in result.lines] == ["zh", "en", None]
    assert etree.fromstring(document).get("lang") == "zh"


def test_markup_in_the_text_is_escaped_and_comes_back_as_text():
    text = '<b>&amp; "quoted" \'single\' </span>'
    line = Line(text, 0.876, [[10, 10], [500, 10], [500, 40], [10, 40]])
    document = render_hocr(OcrResult([Page(1, 600, 60, [line])]), source_name='a "quoted"\\name.png')
    tree = html.document_fromstring(document)
    (element,) = by_class(tree, "ocr_line")
    assert element.text_content() == text and not tree.xpath("//b")
    assert title_properties(element)["x_wconf"] == "88"
    assert title_properties(by_class(tree, "ocr_page")[0])["image"] == r'"a \"quoted\"\\name.png"'


def test_a_turned_line_has_its_textangle_counterclockwise():
    # a box turned 30 degrees counterclockwise as the page is seen (y runs down)
    line = Line("turned", 0.9, [[100, 200], [273, 100], [288, 126], [115, 226]])
    (element,) = by_class(html.document_fromstring(render_hocr(OcrResult([Page(1, 400, 300, [line])]))), "ocr_line")
    assert title_properties(element)["textangle"] == "30"


def test_a_document_has_a_page_each_and_an_empty_page_stays_a_page():
    pages = [Page(1, 100, 50, [Line("one", 0.9, [[1, 1], [60, 1], [60, 20], [1, 20]])]), Page(2, 100, 50, []),
             Page(3, 120, 60, [Line("three", 0.9, [[1, 1], [60, 1], [60, 20], [1, 20]])])]
    tree = html.document_fromstring(render_hocr(OcrResult(pages, is_document=True)))
    page_elements = by_class(tree, "ocr_page")
    assert [title_properties(p)["ppageno"] for p in page_elements] == ["0", "1", "2"]
    assert [len(by_class(p, "ocr_line")) for p in page_elements] == [1, 0, 1]  # not nested in the empty one
    assert bbox(page_elements[2]) == (0, 0, 120, 60)
    # a browser reads <div/> as an open tag (lxml's parser does not): only void elements self-close
    assert not re.search(rb"<(?!meta\b)[a-z]+\b[^>]*/>", render_hocr(OcrResult(pages, is_document=True)))
    assert tree.xpath("//meta[@name='ocr-number-of-pages']/@content") == ["3"]

