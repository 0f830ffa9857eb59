"""Run records (training/records/NAME.json): where they live, the paths they name (relative
to the repository), and the git history they may point into."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RECORDS = REPO / "training" / "records"
# the code a shard's contents depend on (training/data.py: shard i from (seed, i) and this code)
DATA_CODE = ["training/corpus.py", "training/render.py", "training/data.py", "training/teacher.py"]


def record_path(name: str | Path) -> Path:
    path = Path(name)
    return path if path.suffix == ".json" else RECORDS / f"{name}.json"


def read_record(name: str | Path) -> dict:
    return json.loads(record_path(name).read_text(encoding="utf-8"))


def write_record(name: str | Path, record: dict) -> Path:
    path = record_path(name)
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def repo_path(path: str | Path) -> Path:
    return Path(path) if Path(path).is_absolute() else REPO / path


def _git(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, **kwargs)


def git_blob(spec: str, target: Path) -> Path | None:
    """`COMMIT:PATH` of this repository's history written to `target`; None where the
    history does not hold it (a shallow clone, an export without .git)."""
    try:
        shown = _git("show", spec)
    except OSError:
        return None
    if shown.returncode != 0:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(shown.stdout)
    return target


def code_commit() -> str | None:
    """HEAD, with "+changes" when the training code differs from it (None outside git)."""
    try:
        head = _git("rev-parse", "HEAD", text=True)
        dirty = _git("diff", "--quiet", "HEAD", "--", "training").returncode
    except OSError:
        return None
    return head.stdout.strip() + ("+changes" if dirty else "") if head.returncode == 0 else None


def data_code_unchanged(commit: str | None) -> bool | None:
    """Whether the code shards depend on is the same now as at `commit` (None: unknown)."""
    if not commit:
        return None
    try:
        changed = _git("diff", "--quiet", commit.removesuffix("+changes"), "--", *DATA_CODE).returncode
    except OSError:
        return None
    return {0: True, 1: False}.get(changed)
