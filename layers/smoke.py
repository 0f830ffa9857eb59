"""The arm64 layers, run: an arm64 CPython of the Lambda runtime's version (Debian's, from its
arm64 packages) under qemu-user imports the function code against the layers as Lambda lays
them out (/var/task, /opt/python, /opt/model-pack) and reads samples/receipt.png through
handler.api.handler (a REST event) and handler.s3.handler (an S3 event, against moto's
server on this machine). No Docker. Slow (emulation: minutes): a pre-deploy step, run by
`scripts/smoke-arm64` after any change to layers/ or the pins.

    scripts/smoke-arm64              # builds what is missing, prints the text twice
    scripts/smoke-arm64 --native     # the same driver natively (x86_64 here): the cold start to compare

How: a private apt configuration (nothing of the system's apt changes) fetches the closure
of python3.13-minimal, libpython3.13-stdlib and libstdc++6 for arm64 from Debian trixie
(bookworm's keyring verifies it), `dpkg -x` unpacks them into a sysroot, and
`qemu-aarch64-static -L sysroot` runs its python3.13 (binfmt need not be registered). The
sysroot's /proc/cpuinfo is an arm64 one (a Graviton2's Neoverse N1): qemu-user shows the
guest the host's x86 /proc/cpuinfo otherwise, on which ONNX Runtime's cpuinfo crashes."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .build import build_model_layer, stage_function_code
from .dependencies import build_dependencies_layer, build_runtime_sdk
from .target import BUILD, LAMBDA_RUNTIME_PYTHON, ROOT, Target

SMOKE = BUILD / "smoke-arm64"
SUITE = "trixie"  # Debian 13: python3.13 (bookworm's is 3.11; no Debian has 3.12)
ROOTS = (f"python{LAMBDA_RUNTIME_PYTHON}-minimal", f"libpython{LAMBDA_RUNTIME_PYTHON}-stdlib", "libstdc++6",
         "libgcc-s1")
CPUINFO = "".join(
    f"processor\t: {n}\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp "
    "asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\nCPU implementer\t: 0x41\nCPU architecture: 8\n"
    "CPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n" for n in range(2))
QEMU = "qemu-aarch64-static"
SAMPLE = ROOT / "samples" / "receipt.png"


def apt(tool: str, *args: str, cwd: Path | None = None) -> str:
    """apt-get / apt-cache on a private configuration under build/smoke-arm64/apt/."""
    state = SMOKE / "apt"
    for folder in ("lists/partial", "archives/partial"):
        (state / folder).mkdir(parents=True, exist_ok=True)
    (state / "status").touch()
    (state / "sources.list").write_text(
        f"deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian "
        f"{SUITE} main\n")
    options = [f"Dir::Etc::SourceList={state / 'sources.list'}", "Dir::Etc::SourceParts=/dev/null",
               f"Dir::State::Lists={state / 'lists'}", f"Dir::Cache::Archives={state / 'archives'}",
               f"Dir::State::status={state / 'status'}", "APT::Architecture=arm64", "APT::Architectures::=arm64",
               "Debug::NoLocking=1", "Acquire::Languages=none"]
    command = [tool, *(x for option in options for x in ("-o", option)), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True, cwd=cwd).stdout


def sysroot(log=print) -> Path:
    """The arm64 root file system: Debian's python3.13 and the libraries it and the wheels need."""
    root = SMOKE / "sysroot"
    python = root / "usr" / "bin" / f"python{LAMBDA_RUNTIME_PYTHON}"
    if not python.exists():
        log(f"fetching Debian {SUITE}'s arm64 python{LAMBDA_RUNTIME_PYTHON} into {root}")
        apt("apt-get", "update", "-q")
        closure = apt("apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                      "--no-breaks", "--no-replaces", "--no-enhances", *ROOTS)
        packages = sorted({line.strip() for line in closure.splitlines() if line and not line.startswith((" ", "<"))})
        debs = SMOKE / "debs"
        debs.mkdir(parents=True, exist_ok=True)
        apt("apt-get", "download", "-q", *packages, cwd=debs)
        for deb in sorted(debs.glob("*.deb")):
            subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
        for merged in ("lib", "bin"):  # Debian's merged /usr: the loader is /lib/ld-linux-aarch64.so.1
            if not (root / merged).exists():
                (root / merged).symlink_to(f"usr/{merged}")
    (root / "proc").mkdir(exist_ok=True)
    (root / "proc" / "cpuinfo").write_text(CPUINFO)
    return root


def lay_out(root: Path, log=print) -> None:
    """What Lambda mounts, built if missing: /opt/python (the dependencies layer), /opt/model-pack
    (the model layer), /var/task (the function code) and /var/runtime (a stand-in for the
    runtime's boto3)."""
    target = Target("arm64", LAMBDA_RUNTIME_PYTHON)
    places = {
        "opt/python": build_dependencies_layer(target, log=log) / "python",
        "opt/model-pack": build_model_layer(log=log) / "model-pack",
        "var/task": stage_function_code(SMOKE / "function"),
        "var/runtime": build_runtime_sdk(target, log=log) / "python",
    }
    for place, folder in places.items():
        link = root / place
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(folder.resolve())


def events(bucket: str, key: str, etag: str) -> dict[str, Path]:
    data = SAMPLE.read_bytes()
    rest = json.loads((ROOT / "events" / "api-rest-post.json").read_text())
    rest.update(path="/api/v1/ocr", body=base64.b64encode(data).decode(), isBase64Encoded=True,
                headers={"content-type": "image/png"}, multiValueHeaders={"content-type": ["image/png"]})
    s3 = json.loads((ROOT / "events" / "s3-put.json").read_text())
    record = s3["Records"][0]["s3"]
    record["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
    record["object"].update(key=key, size=len(data), eTag=etag)
    paths = {"api": SMOKE / "event-api.json", "worker": SMOKE / "event-worker.json"}
    paths["api"].write_text(json.dumps(rest))
    paths["worker"].write_text(json.dumps(s3))
    return paths


def run(role: str, root: Path, event: Path, env: dict[str, str], timeout_s: int) -> dict:
    from handler.invoke import lambda_environment

    environment = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPYCACHEPREFIX": str(SMOKE / "pycache"),
                   **lambda_environment(role, pack=Path("/opt/model-pack"), overrides=env),
                   "LAMBDA_TASK_ROOT": "/var/task"}
    python = root / "usr" / "bin" / f"python{LAMBDA_RUNTIME_PYTHON}"
    command = [QEMU, "-cpu", "neoverse-n1", "-L", str(root), str(python),
               "-I", str(Path(__file__).with_name("smoke_driver.py")), role, str(event)]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise SystemExit(f"smoke-arm64: the {role} function failed under emulation:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def native(runs: int = 3) -> int:
    """The same driver on this machine's own Python and its own layer (the x86_64 proof's
    recipe, `tests/infra/test_layers.py`), no emulation: the cold start to compare with."""
    import platform

    from .target import MACHINES

    arch = {machine: name for name, machine in MACHINES.items()}[platform.machine()]
    target = Target(arch, f"{sys.version_info.major}.{sys.version_info.minor}")
    code = stage_function_code(SMOKE / "function")
    paths = [str(code), str(build_dependencies_layer(target) / "python"), str(build_runtime_sdk(target) / "python")]
    from handler.invoke import lambda_environment

    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LAYER_PATH": json.dumps(paths),
           **lambda_environment("api", pack=build_model_layer() / "model-pack",
                                overrides={"OCR_THREADS": "2", "OCR_BUCKET": "smoke"})}
    event = events("smoke", "incoming/smoke/receipt.png", "0")["api"]
    for _ in range(runs):  # -B: no bytecode written, as on Lambda (its /opt is read-only)
        done = subprocess.run([sys.executable, "-I", "-S", "-B", str(Path(__file__).with_name("smoke_driver.py")),
                               "api", str(event)], env=env, capture_output=True, text=True, timeout=600, check=True)
        out = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"== api ({out['machine']}, Python {out['python']}): cold start {out['cold_start_s']} s, "
              f"read {out['invocation_s']} s: {out['text'].splitlines()[0]}")
    return 0


def main() -> int:
    if "--native" in sys.argv[1:]:
        return native()
    if not shutil.which(QEMU):
        raise SystemExit(f"smoke-arm64: {QEMU} is missing: scripts/apt-install qemu-user-static")
    import boto3
    from moto.server import ThreadedMotoServer

    from testkit.net import free_port

    root = sysroot()
    lay_out(root)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint, bucket, key = f"http://127.0.0.1:{port}", "smoke-arm64", "incoming/smoke/receipt.png"
        env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "smoke", "AWS_SECRET_ACCESS_KEY": "smoke",
               "AWS_DEFAULT_REGION": "us-east-1", "OCR_BUCKET": bucket, "OCR_THREADS": "2"}
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="smoke",
                          aws_secret_access_key="smoke")
        s3.create_bucket(Bucket=bucket)
        etag = s3.put_object(Bucket=bucket, Key=key, Body=SAMPLE.read_bytes())["ETag"].strip('"')
        paths = events(bucket, key, etag)
        timeout_s = int(os.environ.get("SMOKE_TIMEOUT_S", "1200"))
        for role in ("api", "worker"):
            print(f"-- {role}: handler.{'api' if role == 'api' else 's3'}.handler under {QEMU} (minutes)...",
                  file=sys.stderr, flush=True)
            out = run(role, root, paths[role], env, timeout_s)
            print(f"== {role} ({out['machine']}, Python {out['python']}): cold start {out['cold_start_s']} s, "
                  f"read {out['invocation_s']} s (emulated)")
            print(out["text"])
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
