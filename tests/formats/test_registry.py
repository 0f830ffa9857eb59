"""The one table of output formats that the CLI, the API and the drop folder choose from."""

import pytest

from ocr_engine.errors import InvalidParameter
from ocr_engine.formats import FORMATS, output_format, output_formats


def test_each_format_has_its_media_type_and_suffix():
    table = {name: (fmt.media_type.split(";")[0], fmt.suffix) for name, fmt in FORMATS.items()}
    assert table == {"json": ("application/json", ".json"), "text": ("text/plain", ".txt"),
                     "hocr": ("text/html", ".hocr.html"), "alto": ("application/xml", ".alto.xml"),
                     "pdf": ("application/pdf", ".pdf"), "markdown": ("text/markdown", ".md")}
    assert FORMATS["json"].render is None  # each caller has its own JSON envelope
    assert [name for name, fmt in FORMATS.items() if fmt.binary] == ["pdf"]


def test_names_are_forgiving_about_case_spaces_and_the_txt_suffix():
    assert output_format(" TXT ").name == "text" and output_format("Hocr").name == "hocr"
    assert output_format("MD").name == "markdown"


def test_an_unknown_format_is_an_invalid_parameter_naming_the_known_ones():
    with pytest.raises(InvalidParameter, match="json, text, hocr, alto, pdf, markdown"):
        output_format("docx")


def test_a_list_keeps_its_order_and_each_format_once():
    assert [f.name for f in output_formats("json,txt, pdf,text,,alto")] == ["json", "text", "pdf", "alto"]


def test_text_is_the_results_text_with_pages_apart(receipt):
    data, result = receipt
    assert FORMATS["text"].render(result, data) == result.text.encode("utf-8")
