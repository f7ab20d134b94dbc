"""A real ``fastbt serve`` process on 127.0.0.1 for the server tests, and HTTP helpers.

Each server gets its own SQLite file. With ``FASTBT_TEST_DB_URL`` set to another
SQLAlchemy URL (e.g. ``postgresql+psycopg://fastbt:fastbt@127.0.0.1:5432/fastbt_test``)
the servers use that database instead, and each server drops its tables before it
first starts (it creates them anew): point it at a database kept for the tests.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from fastbt.server.auth import create_user
from fastbt.server.db import Base, Database

ROOT = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
_CLI = "import sys; from fastbt.cli import main; sys.exit(main(sys.argv[1:]))"
TEST_DB_URL = os.environ.get("FASTBT_TEST_DB_URL")  # unset: a SQLite file per server


def fastbt_command(*args: str, home: Path) -> subprocess.CompletedProcess:
    """Run the ``fastbt`` command in a subprocess with ``home`` as $FASTBT_HOME."""
    env = {**os.environ, "FASTBT_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", _CLI, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _healthy(url: str) -> bool:
    """Whether the server finished starting up (it answers only after that)."""
    try:
        return httpx.get(f"{url}/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


class Server:
    """``fastbt serve`` on an ephemeral loopback port, with its own home and database.

    The test strategies of ``tests.server_plugin`` are imported into it.
    """

    def __init__(self, home: Path, *args: str):
        self.home = Path(home)
        self.db_url = TEST_DB_URL or f"sqlite:///{self.home / 'api.db'}"
        self.args = args
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.starts = 0
        self.log = self.home / "server-0.log"

    def start(self, timeout: float = 90) -> "Server":
        self.home.mkdir(parents=True, exist_ok=True)
        if TEST_DB_URL and not self.starts:
            self._empty_database()
        self.starts += 1
        self.log = self.home / f"server-{self.starts}.log"
        command = [
            sys.executable,
            "-c",
            _CLI,
            "serve",
            "--port",
            "0",
            "--db",
            self.db_url,
            "--import",
            "tests.server_plugin",
            *self.args,
        ]
        env = {**os.environ, "FASTBT_HOME": str(self.home), "PYTHONPATH": str(ROOT)}
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = _LISTENING.search(self.log.read_text(errors="replace"))
            if match and _healthy(match.group(1)):
                self.url = match.group(1)
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop(kill=True)
        raise RuntimeError(f"server did not start:\n{self.log.read_text(errors='replace')}")

    def stop(self, kill: bool = False) -> None:
        """Stop the process: SIGTERM (graceful) or SIGKILL (as if it crashed)."""
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    def _empty_database(self) -> None:
        """Drop the tables of a shared test database, so each server starts empty."""
        db = Database(self.db_url)
        try:
            Base.metadata.drop_all(db.engine)
        finally:
            db.dispose()

    def add_user(self, name: str) -> str:
        """A new user's token, created straight in the server's database."""
        db = Database(self.db_url)
        try:
            db.create_tables()
            return create_user(db, name)
        finally:
            db.dispose()

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def render_processes(home: Path) -> list[int]:
    """Pids of the render processes of the server with this home (Linux: read /proc)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:  # ended meanwhile, or not ours
            continue
        if b"spawn_main" in cmdline and f"FASTBT_HOME={home}".encode() in environ:
            found.append(int(proc.name))
    return found


def wait_for(client: httpx.Client, path: str, timeout: float = 300) -> dict:
    """Poll a run until it is completed or failed; its last state."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(path)
        response.raise_for_status()
        state = response.json()
        if state["status"] in ("completed", "failed"):
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} still {state['status']} after {timeout} s")
        time.sleep(0.05)
