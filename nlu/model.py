"""The trained NLU model, cached by a fingerprint of everything that shapes it."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PROJECT = Path(__file__).resolve().parent
ROOT = PROJECT.parent
NLU_PYTHON_ENV = ROOT / ".venv-nlu"
# Inputs of training: a change to any of them needs a new model.
TRAINING_INPUTS = ("config.yml", "data", "dict", "requirements.lock")


@dataclass(frozen=True)
class TrainedModel:
    path: Path
    fingerprint: str
    trained_now: bool
    seconds: float


def rasa_executable() -> Path:
    return NLU_PYTHON_ENV / "bin" / "rasa"


def fingerprint(project: Path = PROJECT) -> str:
    """sha256 over the training inputs' relative paths and bytes, in a stable order."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        root = project / name
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for file in files:
            digest.update(str(file.relative_to(project)).encode())
            digest.update(b"\0")
            digest.update(file.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(project: Path = PROJECT, fp: str | None = None) -> Path:
    return project / "models" / f"nlu-{fp or fingerprint(project)}.tar.gz"


def ensure_model(project: Path = PROJECT) -> TrainedModel:
    """Return the model for the current inputs, training it only when it does not exist."""
    fp = fingerprint(project)
    path = model_path(project, fp)
    if path.exists():
        return TrainedModel(path, fp, trained_now=False, seconds=0.0)
    log.info("training NLU model %s (inputs changed or no model yet)", fp)
    started = time.monotonic()
    command = [
        str(rasa_executable()),
        "train",
        "nlu",
        "--config",
        "config.yml",
        "--nlu",
        "data",
        "--out",
        "models",
        "--fixed-model-name",
        path.name.removesuffix(".tar.gz"),
    ]
    completed = subprocess.run(command, cwd=project, capture_output=True, text=True)
    if completed.returncode != 0 or not path.exists():
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise RuntimeError(f"rasa train nlu failed with exit code {completed.returncode}")
    for old in path.parent.glob("nlu-*.tar.gz"):
        if old != path:
            old.unlink()
    return TrainedModel(path, fp, trained_now=True, seconds=time.monotonic() - started)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    model = ensure_model()
    state = f"trained in {model.seconds:.0f} s" if model.trained_now else "cached"
    print(f"NLU model {model.path.relative_to(ROOT)} ({state})")
