"""A throw-away PostgreSQL cluster on 127.0.0.1 for the test session (initdb + pg_ctl).
Set TEST_POSTGRES_URL to use an existing server instead."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from nlu.service import free_port


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"PostgreSQL's {name} not found: run scripts/ensure-postgres")
    return found[-1]


@dataclass
class PostgresCluster:
    directory: Path
    port: int
    user: str

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"

    def pause(self) -> None:
        """Stop the server, keeping its data (for outage tests)."""
        self._run([_binary("pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "stop"])

    def resume(self) -> None:
        self._start_server()

    def stop(self) -> None:
        self.pause()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _start_server(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            [
                _binary("pg_ctl"),
                "-D",
                str(self.directory / "data"),
                "-o",
                options,
                "-l",
                str(self.directory / "server.log"),
                "-w",
                "start",
            ]
        )

    def _run(self, command: list[str]) -> None:
        # initdb refuses to run as root: run the server as the postgres user then.
        if os.geteuid() == 0:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True)


def start_cluster() -> PostgresCluster:
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    directory = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        os.chown(directory, entry.pw_uid, entry.pw_gid)
    cluster = PostgresCluster(directory, free_port(), user)
    data = directory / "data"
    cluster._run(
        [_binary("initdb"), "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8", "--no-sync"]
    )
    cluster._start_server()
    return cluster
