"""The output formats: one renderer each from the engine's result (and, for the searchable
PDF, the source bytes), and the one table of their names, media types and file suffixes that
the CLI, the API and the drop folder choose from. No AWS here.

    from ocr_engine.formats import output_format
    pdf = output_format("pdf").render(result, source_bytes, model="ppocr-v6 2.0")

JSON has no renderer here: each caller wraps the result in its own envelope (the CLI's
`results` list, the API's OcrResponse, the drop folder's DropResult), all from
OcrResult.to_dict's shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import InvalidParameter
from ..result import OcrResult
from .alto import render_alto
from .hocr import render_hocr
from .markdown import render_markdown

#: render(result, source, *, source_name=None, model=None) -> bytes
Renderer = Callable[..., bytes]


def _render_text(result: OcrResult, source: bytes | None = None, **_) -> bytes:
    return result.text.encode("utf-8")


def _render_pdf(result: OcrResult, source: bytes, **details) -> bytes:
    from .pdf import render_pdf  # pikepdf (qpdf) loads only when a PDF is asked for

    return render_pdf(result, source, **details)


@dataclass(frozen=True)
class OutputFormat:
    name: str
    media_type: str  # what an answer or an object in this format is sent as
    suffix: str  # what the drop folder and `ocr read -o FOLDER` append to the input's name
    render: Renderer | None  # None for JSON: see above
    #: media types that ask for it in an Accept header, beyond media_type (hOCR is HTML;
    #: ALTO has no registered type: application/alto+xml is understood, application/xml sent)
    also_accepted: tuple[str, ...] = field(default=())
    binary: bool = False
    needs_source: bool = False  # its renderer reads the source's bytes, not only the result
    wants_tables: bool = False  # its renderer writes the pages' tables: reads for it find them

    @property
    def accepted(self) -> tuple[str, ...]:
        return (self.media_type.split(";")[0], *self.also_accepted)


FORMATS: dict[str, OutputFormat] = {
    fmt.name: fmt
    for fmt in (
        OutputFormat("json", "application/json", ".json", None),
        OutputFormat("text", "text/plain; charset=utf-8", ".txt", _render_text),
        OutputFormat("hocr", "text/html; charset=utf-8", ".hocr.html", render_hocr,
                     also_accepted=("application/xhtml+xml", "text/vnd.hocr+html")),
        OutputFormat("alto", "application/xml", ".alto.xml", render_alto,
                     also_accepted=("application/alto+xml", "text/xml")),
        OutputFormat("pdf", "application/pdf", ".pdf", _render_pdf, binary=True, needs_source=True),
        # its tables need the tables stage: asking for Markdown turns it on (wants_tables)
        OutputFormat("markdown", "text/markdown; charset=utf-8", ".md", render_markdown,
                     also_accepted=("text/x-markdown",), wants_tables=True),
    )
}
NAMES = tuple(FORMATS)
ALIASES = {"txt": "text", "md": "markdown"}  # the files' suffixes, as the drop folder's setting spells them


def output_format(name: str) -> OutputFormat:
    """The format called `name` (or one of ALIASES, any case); InvalidParameter otherwise."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in FORMATS:
        raise InvalidParameter(f"unknown output format {name!r}: one of {', '.join(NAMES)}")
    return FORMATS[key]


def output_formats(names: str) -> tuple[OutputFormat, ...]:
    """A comma-separated list of formats, in order, each once (`json,txt,pdf`)."""
    chosen: dict[str, OutputFormat] = {}
    for name in names.split(","):
        if name.strip():
            fmt = output_format(name)
            chosen.setdefault(fmt.name, fmt)
    return tuple(chosen.values())


__all__ = ["ALIASES", "FORMATS", "NAMES", "OutputFormat", "output_format", "output_formats"]
