"""Which pages of a document to read: `1-3,7` (as Azure's `pages`), parsed and held to the
document's pages. Pages keep their numbers in the document."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .errors import InvalidParameter

PageRange = tuple[int, int]  # first and last page, 1-based, inclusive
PageSelection = PageRange | Sequence[PageRange]  # one range, or several
MAX_SPEC_CHARS = 1000
_PART = re.compile(r"\s*(\d{1,9})\s*(?:-\s*(\d{1,9})\s*)?")


def parse_pages(spec: str) -> tuple[PageRange, ...]:
    """`"1-3,7"` -> ((1, 3), (7, 7)). A malformed one (empty, `0`, `3-1`, `a`) is an InvalidParameter."""
    if len(spec) > MAX_SPEC_CHARS:
        raise InvalidParameter(f"pages is {len(spec):,} characters long; the limit is {MAX_SPEC_CHARS}")
    ranges = []
    for part in spec.split(","):
        found = _PART.fullmatch(part)
        if found is None:
            raise InvalidParameter(f"pages must be page numbers and ranges such as 1-3,7, not {spec!r}")
        first = int(found[1])
        last = int(found[2]) if found[2] is not None else first
        if not 1 <= first <= last:
            raise InvalidParameter(f"pages: {part.strip()!r} is not a range of pages "
                                   "(they count from 1, first to last)")
        ranges.append((first, last))
    return tuple(ranges)


def as_ranges(selection: PageSelection | str | None) -> tuple[PageRange, ...] | None:
    if selection is None:
        return None
    if isinstance(selection, str):
        return parse_pages(selection)
    if len(selection) == 2 and all(isinstance(n, int) for n in selection):
        return (tuple(selection),)  # type: ignore[return-value]
    return tuple((int(first), int(last)) for first, last in selection)  # type: ignore[misc]


def page_indices(selection: PageSelection | str | None, total: int) -> list[int]:
    """The 0-based indices of the selected pages of a document of `total` pages, in order,
    each once. A page beyond the document is an InvalidParameter that says how many it has."""
    ranges = as_ranges(selection)
    if ranges is None:
        return list(range(total))
    for first, last in ranges:
        if not 1 <= first <= last <= total:
            raise InvalidParameter(f"pages {first}-{last} are not within the document's {total} pages")
    return sorted({index for first, last in ranges for index in range(first - 1, last)})


def describe(ranges: Sequence[PageRange]) -> str:
    """((1, 3), (7, 7)) -> "1-3,7": the form parse_pages reads."""
    return ",".join(str(first) if first == last else f"{first}-{last}" for first, last in ranges)


def count_pages(ranges: Sequence[PageRange]) -> int:
    """How many pages `ranges` select, each counted once."""
    count, reached = 0, 0
    for first, last in sorted(ranges):
        if last > reached:
            count += last - max(first - 1, reached)
            reached = last
    return count
