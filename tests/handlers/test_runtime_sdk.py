"""The worker's conditional writes on the Lambda runtime's own SDK: boto3/botocore 1.34.145
(the stand-in layers/ builds: python3.13's documented runtime SDK) predate PutObject's
IfNoneMatch / IfMatch and refuse them as unknown parameters; handler.aws sends them as their
headers. Run in a clean interpreter with that SDK only, against moto's server."""

import json
import os
import subprocess
import sys

import pytest

from tests.aws_fixtures import BUCKET
from tests.conftest import ROOT

SCRIPT = r"""
import json, os, sys
sys.path[:0] = json.loads(os.environ["SDK_PATH"])
import boto3, botocore
from botocore.exceptions import ClientError, ParamValidationError
from handler.aws import CLIENT_CONFIG, allow_conditional_puts

out = {"botocore": botocore.__version__}
plain = boto3.client("s3", config=CLIENT_CONFIG)
try:
    plain.put_object(Bucket=os.environ["BUCKET"], Key="sdk/refused", Body=b"0", IfNoneMatch="*")
    out["plain"] = "accepted"
except ParamValidationError:
    out["plain"] = "refused"
s3 = allow_conditional_puts(boto3.client("s3", config=CLIENT_CONFIG))

def put(body, **condition):
    try:
        return s3.put_object(Bucket=os.environ["BUCKET"], Key="sdk/conditional", Body=body,
                             **condition)["ResponseMetadata"]["HTTPStatusCode"]
    except ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"]

out["first"] = put(b"1", IfNoneMatch="*")
out["again"] = put(b"2", IfNoneMatch="*")
etag = s3.head_object(Bucket=os.environ["BUCKET"], Key="sdk/conditional")["ETag"]
out["stale"] = put(b"3", IfMatch='"0123456789abcdef0123456789abcdef"')
out["matching"] = put(b"4", IfMatch=etag)
out["body"] = s3.get_object(Bucket=os.environ["BUCKET"], Key="sdk/conditional")["Body"].read().decode()
print(json.dumps(out))
"""


def test_the_runtimes_sdk_writes_conditionally_through_handler_aws(drop_folder):
    from layers.build import Target, build_runtime_sdk

    sdk = build_runtime_sdk(Target("x86_64", f"{sys.version_info.major}.{sys.version_info.minor}"), log=lambda *_: None)
    drop_folder.s3.delete_object(Bucket=BUCKET, Key="sdk/conditional")
    env = {**os.environ, "SDK_PATH": json.dumps([str(sdk / "python"), str(ROOT)]), "BUCKET": BUCKET}
    # -I: no PYTHON* variables, no user site; -S: no site-packages (not .venv's newer boto3)
    run = subprocess.run([sys.executable, "-I", "-S", "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout)
    if out["plain"] == "accepted":
        pytest.fail(f"botocore {out['botocore']} knows the conditions: this test no longer proves anything")
    assert out["botocore"] == "1.34.145"
    assert (out["first"], out["again"], out["stale"], out["matching"]) == (200, 412, 412, 200)
    assert out["body"] == "4"
