"""What a done job's status says of its files: one presigned download per format the worker
wrote (`outputs`), and the result inline only while it is small (OCR_JOB_INLINE_MAX_BYTES:
Lambda answers at most 6 MB, and a long document's JSON passes that)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ocr_engine.formats import FORMATS, OutputFormat

from .drop_folder import RESULT

PAGES_METADATA = "ocr-pages-read"  # x-amz-meta- of a result .json: its page count (read without the body)


def output_name(fmt: OutputFormat) -> str:
    """A format's name in `outputs` and in events: its file's suffix (`txt`, not `text`)."""
    return "txt" if fmt.name == "text" else fmt.name


#: every format's name in `outputs`, and its file's suffix after the output base
OUTPUT_SUFFIXES = {output_name(fmt): fmt.suffix for fmt in FORMATS.values()}


class Download(BaseModel):
    url: str = Field(description="a presigned GET URL of the file")
    expires_in: int = Field(description="seconds the URL stays valid")
    bytes: int = Field(description="the file's size")


class Outputs(BaseModel):
    """One entry per format the worker wrote for the job's file (the .json always)."""

    json_: Download | None = Field(None, alias="json")
    txt: Download | None = None
    pdf: Download | None = None
    hocr: Download | None = None
    alto: Download | None = None

    model_config = {"populate_by_name": True}


def output_keys(result_key: str, sizes: dict[str, int]) -> dict[str, str]:
    """The keys of the outputs written beside a result `.json` (from a listing's `sizes`), by name."""
    base = result_key[: -len(RESULT)]
    return {name: base + suffix for name, suffix in OUTPUT_SUFFIXES.items() if base + suffix in sizes}


def downloads(s3, bucket: str, result_key: str, sizes: dict[str, int], expiry: int) -> Outputs:
    """A presigned GET URL for each output beside `result_key`. Presigning is local: no S3 call."""
    found = {}
    for name, key in output_keys(result_key, sizes).items():
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expiry)
        found[name] = Download(url=url, expires_in=expiry, bytes=sizes[key])
    return Outputs(**found)
