"""The bot image's file tree without Docker: deploy/Dockerfile's last stage COPY lines
applied to the repository, minus what .dockerignore leaves out of the build context; and
the environment its ENV lines set. Tests run the real processes from this tree."""

from __future__ import annotations

import fnmatch
import shlex
import shutil
from pathlib import Path

from tests.conftest import ROOT

DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the last stage, continuation lines joined."""
    text = dockerfile.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    stages: list[list[tuple[str, str]]] = []
    for line in lines:
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stages.append([])
        stages[-1].append((word.upper(), rest.strip()))
    return stages[-1]


def ignore_patterns(path: Path = DOCKERIGNORE) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip().rstrip("/") for ln in lines if ln.strip() and not ln.startswith("#")]


def ignored(relative: str, patterns: list[str]) -> bool:
    """Whether a context path (or a folder above it) matches a .dockerignore pattern."""
    parts = relative.split("/")
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for depth in range(1, len(parts) + 1):
            head = "/".join(parts[:depth])
            if fnmatch.fnmatchcase(head, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatchcase(parts[depth - 1], bare):
                return True
    return False


def image_env(dockerfile: Path = DOCKERFILE) -> dict[str, str]:
    """The ENV of the image (KEY=VALUE pairs; PATH left to the caller)."""
    env: dict[str, str] = {}
    for word, rest in _instructions(dockerfile):
        if word == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
    env.pop("PATH", None)
    return env


def copied_sources(dockerfile: Path = DOCKERFILE) -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY from the build context (not --from a stage)."""
    copies = []
    for word, rest in _instructions(dockerfile):
        if word == "COPY" and not rest.startswith("--from"):
            *sources, destination = rest.split()
            copies.append((sources, destination))
    return copies


def stage_image_tree(target: Path, root: Path = ROOT) -> Path:
    """Copy what the image gets into `target` (its /app) and return it."""
    patterns = ignore_patterns()
    for sources, destination in copied_sources():
        for source in sources:
            path = root / source.rstrip("/")
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for file in files:
                relative = file.relative_to(root).as_posix()
                if ignored(relative, patterns):
                    continue
                if path.is_file():
                    into = (
                        target / destination / file.name
                        if destination.endswith("/")
                        else (target / destination)
                    )
                else:
                    into = target / destination / file.relative_to(path)
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, into)
    return target
