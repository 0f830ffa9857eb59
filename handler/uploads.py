"""Reading an upload into memory with the size limit enforced while reading, and parsing
multipart bodies in memory (nothing is ever written to disk, under any name)."""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from .errors import ClientGone, InvalidMultipart, PayloadTooLarge

MULTIPART_OVERHEAD = 64 * 1024  # headers and boundaries around the file in a form


async def read_body(request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge.over(limit)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge.over(limit)
            chunks.append(chunk)
    except ClientDisconnect:  # not an error of ours: the access log records it
        raise ClientGone("the client went away before the upload was complete") from None
    return b"".join(chunks)


@dataclass
class Part:
    name: str = ""
    filename: str | None = None
    content_type: str = ""
    data: bytearray = field(default_factory=bytearray)


def parse_multipart(body: bytes, content_type: str, max_parts: int = 16) -> list[Part]:
    """The parts of a multipart/form-data body. A body that is cut short, has no boundary
    or is not multipart at all is InvalidMultipart."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise InvalidMultipart("multipart/form-data needs a boundary parameter")
    parts: list[Part] = []
    state = {"header": b"", "value": b"", "headers": {}, "ended": False}

    def on_part_begin():
        if len(parts) >= max_parts:
            raise InvalidMultipart(f"more than {max_parts} form fields")
        parts.append(Part())
        state["headers"] = {}

    def on_header_field(data, start, end):
        state["header"] += data[start:end]

    def on_header_value(data, start, end):
        state["value"] += data[start:end]

    def on_header_end():
        state["headers"][state["header"].lower()] = state["value"]
        state["header"], state["value"] = b"", b""

    def on_headers_finished():
        disposition, options = parse_options_header(state["headers"].get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise InvalidMultipart("a form part lacks Content-Disposition: form-data; name=...")
        part = parts[-1]
        part.name = options[b"name"].decode("utf-8", "replace")
        if b"filename" in options:
            part.filename = options[b"filename"].decode("utf-8", "replace")
        part.content_type = state["headers"].get(b"content-type", b"").decode("latin-1")

    def on_part_data(data, start, end):
        parts[-1].data += data[start:end]

    def on_end():
        state["ended"] = True

    parser = MultipartParser(
        boundary,
        callbacks={
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_end": on_end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise InvalidMultipart(f"the multipart body is malformed: {exc}") from None
    if not state["ended"]:
        raise InvalidMultipart("the multipart body is cut short (no closing boundary)")
    return parts
