"""The deployment as configured (deploy/compose.yml, deploy/Dockerfile, deploy/Caddyfile,
.dockerignore), checked without Docker; the image's file tree is assembled from the
Dockerfile and runs the bot's code. tests/e2e/test_deploy_proxy.py runs the processes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import load_settings
from tests.conftest import ROOT
from tests.support.image import (
    DOCKERFILE,
    _instructions,
    copied_sources,
    ignore_patterns,
    ignored,
    image_env,
    stage_image_tree,
)

COMPOSE_PATH = ROOT / "deploy" / "compose.yml"
COMPOSE = yaml.safe_load(COMPOSE_PATH.read_text(encoding="utf-8"))
SERVICES: dict[str, dict] = COMPOSE["services"]
SECRETS = {"TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "NLU_TOKEN", "POSTGRES_PASSWORD"}


def _workers() -> list[str]:
    return [n for n, s in SERVICES.items() if s.get("command") == ["python", "-m", "bot", "run"]]


def test_every_service_has_an_exec_form_healthcheck_and_command():
    for name, service in SERVICES.items():
        test = service.get("healthcheck", {}).get("test")
        assert isinstance(test, list) and test[0] == "CMD", name
        command = service.get("command")
        if command is None:  # the official image's own (exec-form) command: postgres
            assert "build" not in service, name
            continue
        assert isinstance(command, list), f"{name}: exec form, so PID 1 gets SIGTERM"
        assert not {"sh", "bash", "/bin/sh", "-c"} & set(command), name
    assert SERVICES["scheduler"]["command"] == ["python", "-m", "bot", "scheduler"]
    for name in [*_workers(), "scheduler"]:
        assert SERVICES[name]["healthcheck"]["test"] == ["CMD", "python", "-m", "bot.healthcheck"]
        assert SERVICES[name].get("init") is True and SERVICES[name]["stop_grace_period"]


def test_every_variable_is_required_and_every_secret_is_used():
    text = json.dumps(COMPOSE)  # the values, not the comments
    found = re.findall(r"\$\{([A-Z_]+)(:\?|:-|-|\?)?[^}]*\}", text)
    assert found
    assert [name for name, mode in found if mode != ":?"] == []  # ${VAR:?}: fail fast
    assert SECRETS | {"PUBLIC_HOST", "NLU_MODEL"} == {name for name, _ in found}
    nlu = " ".join(SERVICES["nlu"]["command"])
    assert re.search(r"--auth-token \$\{NLU_TOKEN:\?", nlu), "Rasa must never run without auth"
    example = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    assert {name for name, _ in found} <= set(re.findall(r"^([A-Z_]+)=", example, re.M))


def test_only_the_proxy_is_published_and_it_forwards_to_every_worker():
    workers = _workers()
    assert len(workers) >= 2
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"proxy"}
    proxy = SERVICES["proxy"]
    assert proxy["environment"]["BOT_UPSTREAMS"].split() == [f"{w}:8443" for w in workers]
    assert set(proxy["depends_on"]) == set(workers)
    for worker in workers:
        env = SERVICES[worker]["environment"]
        assert env["SCHEDULER_EMBEDDED"] == "0"
        path = proxy["environment"]["WEBHOOK_PATH"]
        assert env["TELEGRAM_WEBHOOK_URL"].endswith(f"}}/{path}")
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy {$BOT_UPSTREAMS}" in caddyfile and "max_size 1MB" in caddyfile
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]


def test_the_image_runs_as_a_user_and_listens_beyond_localhost():
    steps = _instructions(DOCKERFILE)
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1] not in {"root", "0"}
    env = image_env()
    assert env["TELEGRAM_WEBHOOK_LISTEN"] == env["METRICS_LISTEN"] == "0.0.0.0"
    assert env["METRICS_PORT"] == "9108" and env["TELEGRAM_WEBHOOK_PORT"] == "8443"
    for word in ("CMD", "HEALTHCHECK"):
        [rest] = [r for w, r in steps if w == word]
        assert rest[rest.index("[") :].startswith('["python"'), f"{word} in exec form"


def test_listen_addresses_come_from_the_environment_and_default_to_localhost():
    default = load_settings(env={})
    assert default.telegram.webhook_listen == default.metrics_listen == "127.0.0.1"
    image = load_settings(env=image_env())
    assert image.telegram.webhook_listen == image.metrics_listen == "0.0.0.0"
    assert (image.telegram.webhook_port, image.metrics_port) == (8443, 9108)


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".venv-nlu/lib/x.py",
        ".tools/bin/uv",
        "var/assistant.db",
        ".git/HEAD",
        "nlu/models/model.tar.gz",
        "nlu/.rasa/cache/x",
        "bot/__pycache__/cli.cpython-311.pyc",
        "tests/conftest.py",
    ],
)
def test_the_build_context_leaves_out_environments_user_data_and_caches(path: str):
    assert ignored(path, ignore_patterns())


def test_the_image_tree_holds_only_what_the_bot_needs_and_the_bot_runs_from_it(tmp_path: Path):
    app = stage_image_tree(tmp_path / "app")
    top = {p.name for p in app.iterdir()}
    assert top == {"bot", "scheduler", "policy", "responses", "nlu", "config.yml"}
    assert {p.name for p in (app / "nlu").iterdir() if p.is_dir()} == {"data", "dict"}
    assert not [p for p in app.rglob("*") if p.suffix in {".pyc", ".db", ".gz"}]
    assert all(sources for sources, _ in copied_sources())
    # The bot's code, policy, templates and the ranker's data load from the tree alone.
    script = (
        "from bot.config import load_settings\n"
        "from bot.assistant import build_dialogue\n"
        "from nlu.client import NluClient\n"
        "import bot.channels.telegram, scheduler.standalone, bot.healthcheck\n"
        "s = load_settings()\n"
        "a = build_dialogue(s, NluClient('http://127.0.0.1:9', timeout=1))\n"
        "print('loaded', len(a.pack.topics))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("loaded ")
