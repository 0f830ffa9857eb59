"""A synchronous read's options, from the query or the form (a form field wins): `mode`,
`text_layer`, `pages` and `tables`, and the page limit that follows from them."""

from __future__ import annotations

from dataclasses import dataclass

from ocr_engine import errors as engine_errors
from ocr_engine.page_ranges import PageRange, count_pages, parse_pages

JOBS_HINT = "send longer documents through the async jobs API (POST /api/v1/jobs)"


@dataclass(frozen=True)
class ReadOptions:
    mode: str
    text_layer: str
    page_range: tuple[PageRange, ...] | None
    max_pages: int | None  # the engine's document limit for this read; None: its own (OCR_MAX_PAGES)
    tables: bool = False  # find the pages' tables (ocr_engine/tables)
    page_images: bool = False  # JSON pages carry an image of the page (handler/page_images.py)

    @classmethod
    def of(cls, fields: dict[str, str], query: dict[str, str | bool | None], sync_max_pages: int) -> ReadOptions:
        """The engine checks `mode` and `text_layer` before any work; `pages` is parsed here.
        The synchronous page limit holds for the pages read: with `pages`, a few pages of a
        long document are quick, and only they count."""
        def option(name: str) -> str | None:
            value = fields.get(name) or query.get(name)
            return value if value is None or isinstance(value, str) else str(value)  # a query's bool

        spec = option("pages")
        selected = parse_pages(spec) if spec is not None else None
        if selected is not None and count_pages(selected) > sync_max_pages:
            raise engine_errors.TooManyPages(f"pages {spec} are {count_pages(selected)} pages; the limit is "
                                             f"{sync_max_pages} of a synchronous request; {JOBS_HINT}")
        return cls(option("mode") or "auto", option("text_layer") or "auto", selected,
                   sync_max_pages if selected is None else None, flag("tables", option("tables")),
                   flag("page_images", option("page_images")))


FLAGS = {**dict.fromkeys(("true", "1", "yes", "on"), True), **dict.fromkeys(("false", "0", "no", "off", ""), False)}


def flag(name: str, value: str | None) -> bool:
    """A yes/no option as a query or form field (`tables=true`); anything else is InvalidParameter."""
    if value is None:
        return False
    if value.strip().lower() not in FLAGS:
        raise engine_errors.InvalidParameter(f"{name} must be true or false, not {value[:40]!r}")
    return FLAGS[value.strip().lower()]
