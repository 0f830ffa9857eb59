"""Which output format an OCR request asks for: its `format` parameter (query or form field)
when it has one, else its Accept header (HTTP's proactive negotiation: q-values, `type/*`,
`*/*`), else JSON."""

from __future__ import annotations

from ocr_engine.formats import FORMATS, OutputFormat, output_format

from .errors import NotAcceptable

DEFAULT = FORMATS["json"]
# A tie (`*/*`, `text/*`) goes to the first: JSON, then plain text.
PREFERENCE = [FORMATS[name] for name in ("json", "text", "hocr", "alto", "pdf", "markdown")]


def chosen_format(named: str | None, accept: str | None) -> OutputFormat:
    if named:
        return output_format(named)  # InvalidParameter for a name it does not know
    if not accept or not accept.strip():
        return DEFAULT
    ranges = _media_ranges(accept)
    best, best_q = None, 0.0
    for fmt in PREFERENCE:
        q = max((_quality(media_type, ranges) for media_type in fmt.accepted), default=0.0)
        if q > best_q:
            best, best_q = fmt, q
    if best is None:
        offered = ", ".join(t for fmt in PREFERENCE for t in fmt.accepted)
        raise NotAcceptable(f"cannot answer in any type the Accept header allows ({accept[:200]!r}); "
                            f"the types: {offered}; or name one with the `format` parameter")
    return best


def _media_ranges(accept: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) for each range in the header; a malformed q counts as 0."""
    ranges = []
    for part in accept.split(","):
        media_range, *params = (p.strip() for p in part.split(";"))
        if "/" not in media_range:
            continue
        kind, subtype = (s.strip().lower() for s in media_range.split("/", 1))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append((kind, subtype, q))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, str, float]]) -> float:
    """The q that the most specific matching range gives `media_type` (RFC 9110, 12.5.1)."""
    kind, subtype = media_type.split("/")
    best_specificity, q = -1, 0.0
    for range_kind, range_subtype, range_q in ranges:
        if (range_kind, range_subtype) == (kind, subtype):
            specificity = 2
        elif range_kind == kind and range_subtype == "*":
            specificity = 1
        elif (range_kind, range_subtype) == ("*", "*"):
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, q = specificity, range_q
    return q
