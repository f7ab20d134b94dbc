"""Property-based fuzzing of the REST service from its own OpenAPI schema (schemathesis).

Every generated request, valid or not, must get a documented status code and
content type, never a 500, and responses must match their schemas. Two checks
are left out on purpose: ``positive_data_acceptance`` (the schema cannot say
everything the library checks, e.g. which symbols exist, so schema-valid bodies
may rightly get 422) and ``allow_header_conformance`` (Starlette's 405 lists the
methods of one route, not of the path). The HTML report routes are tested in
test_server.py; rendering a report per generated run would only make this slow.
"""

import subprocess
import sys

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("schemathesis")

from tests.server_fixtures import Server


@pytest.mark.slow
def test_the_openapi_schema_holds_under_fuzzing(tmp_path):
    server = Server(tmp_path / "api", "--max-grid", "500").start()
    try:
        token = server.add_user("fuzzer")
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{server.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance,allow_header_conformance",
            "--exclude-path-regex",
            "/report$",
            "--max-examples",
            "10",
            "--seed",
            "0",
            "--generation-database",
            "none",
            "--no-color",
        ]
        finished = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=240
        )
    finally:
        server.stop()
    assert finished.returncode == 0, finished.stdout[-6000:] + finished.stderr[-2000:]
    assert "Traceback" not in server.log.read_text(errors="replace")
