"""Async jobs through the drop folder: a presigned upload into its input prefix, and the
job's state from what the worker wrote under its output prefix."""

from __future__ import annotations

import json
import unicodedata
import uuid

import anyio
from botocore.exceptions import ClientError
from fastapi import APIRouter

from ocr_engine.page_ranges import describe, parse_pages

from ..aws import s3_client
from ..config import ServiceSettings
from ..dependencies import FolderDep, SettingsDep
from ..drop_folder import MANIFEST, DropFolderLayout, job_state, part_range
from ..errors import JobsUnavailable, NotFound, openapi_responses
from ..job_models import FailedPages, JobCreated, JobRequest, JobStatus, JobUpload
from ..job_outputs import PAGES_METADATA as PAGES_READ
from ..job_outputs import downloads
from ..models import ErrorDetail
from ..options import FORMATS_METADATA, PAGES_METADATA, TEXT_LAYER_METADATA

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
    # the read options travel as the file's metadata, signed into the upload: the worker reads them
    metadata = {PAGES_METADATA: describe(parse_pages(job.pages)) if job.pages is not None else None,
                TEXT_LAYER_METADATA: job.text_layer,
                FORMATS_METADATA: ",".join(job.formats) if job.formats else None}
    metadata = {name: value for name, value in metadata.items() if value is not None}
    url = s3_client().generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentType": job.content_type,
                **({"Metadata": metadata} if metadata else {})},
        ExpiresIn=settings.job_upload_expiry,
    )
    headers = {"Content-Type": job.content_type, **{f"x-amz-meta-{name}": value for name, value in metadata.items()}}
    return JobCreated(
        job_id=job_id,
        upload=JobUpload(url=url, headers=headers),
        status_url=f"/api/v1/jobs/{job_id}",
        expires_in=settings.job_upload_expiry,
    )


@router.get("/{job_id}", response_model=JobStatus, response_model_exclude_none=True,
            responses=openapi_responses(), summary="A job's status, and its result once done")
async def job_status(job_id: uuid.UUID, settings: SettingsDep, folder: FolderDep) -> JobStatus:
    bucket = _jobs_bucket(settings)
    return await anyio.to_thread.run_sync(lambda: _read_job(s3_client(), folder, bucket, str(job_id), settings))


def _read_job(s3, folder: DropFolderLayout, bucket: str, job_id: str, settings: ServiceSettings | None = None,
              again_if_parts_vanish: bool = True) -> JobStatus:
    """The job's state from what the worker wrote; with nothing written and nothing
    uploaded, there is no such job."""
    settings = settings or ServiceSettings.from_env()
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=folder.job_outputs(job_id), MaxKeys=20)
    sizes = {o["Key"]: o["Size"] for o in listing.get("Contents", [])}
    status, key = job_state(list(sizes))
    if key is not None:
        if status == "failed":
            return JobStatus(job_id=job_id, status=status, error=ErrorDetail(**_json(s3, bucket, key)["error"]))
        outputs = downloads(s3, bucket, key, sizes, settings.job_download_expiry)
        if sizes[key] > settings.job_inline_max_bytes:  # not read: the page count is in its metadata
            pages_read = (s3.head_object(Bucket=bucket, Key=key).get("Metadata") or {}).get(PAGES_READ)
            pages = int(pages_read) if pages_read else None
            return JobStatus(job_id=job_id, status=status, pages_total=pages, pages_done=pages, outputs=outputs)
        body = _json(s3, bucket, key)
        pages = len(body.get("pages", []))
        return JobStatus(job_id=job_id, status=status, pages_total=pages, pages_done=pages, result=body,
                         outputs=outputs)
    uploaded = s3.list_objects_v2(Bucket=bucket, Prefix=folder.job_inputs(job_id), MaxKeys=1)
    if not uploaded.get("KeyCount"):
        raise NotFound(f"no job {job_id} (or its file was never uploaded)")
    try:
        return _progress(s3, folder, bucket, job_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404") or not again_if_parts_vanish:
            raise
        # the last range was assembled (and its parts removed) while they were being read
        return _read_job(s3, folder, bucket, job_id, settings, again_if_parts_vanish=False)


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
