"""Async jobs through the drop folder: a presigned upload into its input prefix, and the
job's state from what the worker wrote under its output prefix."""

from __future__ import annotations

import json
import unicodedata
import uuid
from typing import Literal

import anyio
from botocore.exceptions import ClientError
from fastapi import APIRouter
from pydantic import BaseModel, Field

from ..aws import s3_client
from ..config import ServiceSettings
from ..dependencies import FolderDep, SettingsDep
from ..drop_folder import MANIFEST, DropFolderLayout, job_state, part_range
from ..errors import JobsUnavailable, NotFound, openapi_responses
from ..models import ErrorDetail

JOB_CONTENT_TYPES = (
    "application/octet-stream", "application/pdf", "image/png", "image/jpeg",
    "image/tiff", "image/bmp", "image/webp", "image/gif",
)


class JobRequest(BaseModel):
    filename: str | None = Field(None, max_length=1024,
                                 description="the file's name; only a sanitised base name is kept")
    content_type: Literal[JOB_CONTENT_TYPES] = "application/octet-stream"  # type: ignore[valid-type]


class JobUpload(BaseModel):
    url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]


class JobCreated(BaseModel):
    job_id: str
    upload: JobUpload
    status_url: str
    expires_in: int


class FailedPages(BaseModel):
    first: int
    last: int
    error: ErrorDetail


class JobStatus(BaseModel):
    job_id: str
    status: Literal["pending", "done", "failed"]
    #: a long document read in page ranges by several workers: its pages and how many are read
    pages_total: int | None = None
    pages_done: int | None = None
    failed_pages: list[FailedPages] | None = Field(None, description="ranges that could not be read, and why")
    result: dict | None = None
    error: ErrorDetail | None = None


router = APIRouter(prefix="/api/v1/jobs")


def _jobs_bucket(settings: ServiceSettings) -> str:
    if not settings.bucket:
        raise JobsUnavailable("the jobs API needs a bucket (OCR_BUCKET is not set)")
    return settings.bucket


@router.post("", response_model=JobCreated, status_code=201, responses=openapi_responses(),
             summary="Start an async job: returns a presigned URL to PUT the file to")
async def create_job(settings: SettingsDep, folder: FolderDep, job: JobRequest | None = None) -> JobCreated:
    bucket = _jobs_bucket(settings)
    job = job or JobRequest()
    job_id = str(uuid.uuid4())
    key = folder.job_upload_key(job_id, safe_name(job.filename))
    url = s3_client().generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentType": job.content_type},
        ExpiresIn=settings.job_upload_expiry,
    )
    return JobCreated(
        job_id=job_id,
        upload=JobUpload(url=url, headers={"Content-Type": job.content_type}),
        status_url=f"/api/v1/jobs/{job_id}",
        expires_in=settings.job_upload_expiry,
    )


@router.get("/{job_id}", response_model=JobStatus, response_model_exclude_none=True,
            responses=openapi_responses(), summary="A job's status, and its result once done")
async def job_status(job_id: uuid.UUID, settings: SettingsDep, folder: FolderDep) -> JobStatus:
    bucket = _jobs_bucket(settings)
    return await anyio.to_thread.run_sync(lambda: _read_job(s3_client(), folder, bucket, str(job_id)))


def _read_job(s3, folder: DropFolderLayout, bucket: str, job_id: str, again_if_parts_vanish: bool = True) -> JobStatus:
    """The job's state from what the worker wrote; with nothing written and nothing
    uploaded, there is no such job."""
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=folder.job_outputs(job_id), MaxKeys=10)
    status, key = job_state([o["Key"] for o in listing.get("Contents", [])])
    if key is not None:
        body = _json(s3, bucket, key)
        if status == "failed":
            return JobStatus(job_id=job_id, status=status, error=ErrorDetail(**body["error"]))
        pages = len(body.get("pages", []))
        return JobStatus(job_id=job_id, status=status, pages_total=pages, pages_done=pages, result=body)
    uploaded = s3.list_objects_v2(Bucket=bucket, Prefix=folder.job_inputs(job_id), MaxKeys=1)
    if not uploaded.get("KeyCount"):
        raise NotFound(f"no job {job_id} (or its file was never uploaded)")
    try:
        return _progress(s3, folder, bucket, job_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404") or not again_if_parts_vanish:
            raise
        # the last range was assembled (and its parts removed) while they were being read
        return _read_job(s3, folder, bucket, job_id, again_if_parts_vanish=False)


def _progress(s3, folder: DropFolderLayout, bucket: str, job_id: str) -> JobStatus:
    """A pending job's pages, when its document is being read in ranges: the total from
    its manifest, the pages of the parts written so far, and the ranges that failed."""
    pending = JobStatus(job_id=job_id, status="pending")
    listing = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder.job_parts(job_id))
    objects = [o for page in listing for o in page.get("Contents", [])]
    manifests = sorted((o for o in objects if o["Key"].endswith("/" + MANIFEST)), key=lambda o: o["LastModified"])
    if not manifests:
        return pending
    manifest_key = manifests[-1]["Key"]  # the newest version of the job's file
    parts_prefix = manifest_key[: -len(MANIFEST)]
    done, failed = 0, []
    for o in objects:
        if not o["Key"].startswith(parts_prefix) or (found := part_range(o["Key"])) is None:
            continue
        (first, last), is_failure = found
        if is_failure:
            error = ErrorDetail(**_json(s3, bucket, o["Key"])["error"])
            failed.append(FailedPages(first=first, last=last, error=error))
        else:
            done += last - first + 1
    total = _json(s3, bucket, manifest_key)["pages"]
    return pending.model_copy(update={"pages_total": total, "pages_done": done,
                                      "failed_pages": sorted(failed, key=lambda f: f.first) or None})


def _json(s3, bucket: str, key: str) -> dict:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def safe_name(filename: str | None) -> str:
    """A base name that is safe as the last part of an S3 key: no folders, no control or
    unusual characters, not empty, not dots only."""
    name = unicodedata.normalize("NFKC", (filename or "").replace("\\", "/")).rsplit("/", 1)[-1]
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).strip("._")[:100]
    return name or "upload"
