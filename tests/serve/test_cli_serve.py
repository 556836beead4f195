"""`hooksim serve` in a subprocess: what it prints, that it answers, how it stops."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import requests
from _serve_helpers import Receiver, wait_until

pytestmark = pytest.mark.served

ENTRY = "from hooksim.cli import main; main()"
UA = {"User-Agent": "test"}


@dataclass
class Served:
    process: subprocess.Popen[str]
    queue: queue.Queue[str | None]
    lines: list[str] = field(default_factory=list)
    banner: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.banner["url"]

    def output(self) -> str:
        return "\n".join(self.lines)

    def drain(self) -> None:
        """Take in every line printed so far."""
        while True:
            try:
                line = self.queue.get_nowait()
            except queue.Empty:
                return
            if line is not None:
                self.lines.append(line)

    def wait_for(self, text: str) -> None:
        def printed() -> bool:
            self.drain()
            return text in self.output()

        wait_until(printed, f"hooksim serve to print {text!r}")

    def token(self, client_id: str, secret: str) -> str:
        response = requests.post(
            self.url + "/oauth2/token",
            auth=(client_id, secret),
            data={"grant_type": "client_credentials"},
            headers=UA,
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


def hooksim(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("HOOKSIM_CLIENT_SECRET", "HOOKSIM_CLIENT_ID", "HOOKSIM_ENVIRONMENT"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-c", ENTRY, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@contextmanager
def served(*args: str) -> Iterator[Served]:
    """`hooksim serve --port 0 ARGS`, started and its banner read; killed if left running."""
    process = hooksim("serve", "--port", "0", *args)
    lines: queue.Queue[str | None] = queue.Queue()
    result = Served(process, lines)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        while not any("get a token" in line for line in result.lines):
            line = lines.get(timeout=30)
            if line is None:
                pytest.fail(f"hooksim serve exited: {process.wait()} {process.stderr.read()}")  # type: ignore[union-attr]
            result.lines.append(line)
        text = result.output()
        match = re.search(r"serving at (http://127\.0\.0\.1:(\d+))", text)
        assert match is not None, text
        result.banner["url"] = match.group(1)
        for key in ("environment", "client id", "client secret"):
            found = re.search(rf"^\s+{key}:\s+(\S+)", text, re.MULTILINE)
            if found:
                result.banner[key] = found.group(1)
        yield result
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        reader.join(10)
        result.drain()
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def stop(server: Served, signum: int = signal.SIGINT) -> tuple[int, str]:
    server.process.send_signal(signum)
    code = server.process.wait(timeout=30)
    assert server.process.stderr is not None
    return code, server.process.stderr.read()


def test_serve_prints_how_to_connect_answers_and_stops_on_ctrl_c(receiver: Receiver) -> None:
    with served() as server:
        banner = server.banner
        assert int(banner["url"].rsplit(":", 1)[1]) > 0  # the real port, not 0
        assert banner["environment"] == "dev"
        token = server.token(banner["client id"], banner["client secret"])
        headers = {**UA, "Authorization": f"Bearer {token}"}
        created = requests.post(
            f"{server.url}/v1/dev/webhook",
            json={"types": ["card-published"], "url": receiver.url + "/in"},
            headers=headers,
            timeout=10,
        )
        assert created.status_code == 201, created.text
        secret = created.json()["data"]["secret"]
        published = requests.post(
            f"{server.url}/_sim/events",
            json={"environmentId": "dev", "type": "card-published"},
            headers=headers,
            timeout=10,
        )
        assert published.status_code == 200, published.text
        event = published.json()["data"]["eventIds"][0]
        wait_until(lambda: receiver.requests, "the driver to deliver the event")
        server.wait_for(f"event={event}")
        code, stderr = stop(server)
    assert code == 0
    assert "Traceback" not in stderr
    (line,) = [line for line in server.lines if f"event={event}" in line]
    assert "attempt=1" in line and "outcome=success" in line and "status=200" in line
    assert re.search(r"duration=\d+ms", line)
    log = server.output()
    assert secret not in log and token not in log and "Authorization" not in log
    assert server.lines[-1] == "hooksim platform stopped"


def test_sigterm_stops_cleanly() -> None:
    with served("--clock", "virtual") as server:
        code, stderr = stop(server, signal.SIGTERM)
    assert (code, "Traceback" in stderr) == (0, False)


def test_a_supplied_secret_is_never_printed() -> None:
    secret = "s3cr3t-supplied-by-the-user"
    with served("--client-id", "ci-client", "--client-secret", secret) as server:
        assert server.banner["client id"] == "ci-client"
        assert "client secret" not in server.banner
        assert server.token("ci-client", secret)
        code, _ = stop(server)
    assert code == 0
    assert secret not in server.output()
    assert "$CLIENT_SECRET" in server.output()


def test_refused_hosts_are_logged_with_the_reason(receiver: Receiver) -> None:
    with served("--clock", "virtual", "--allow-hosts", "hooks.example.test") as server:
        token = server.token(server.banner["client id"], server.banner["client secret"])
        headers = {**UA, "Authorization": f"Bearer {token}"}
        requests.post(
            f"{server.url}/v1/dev/webhook",
            json={"types": ["card-published"], "url": receiver.url + "/in"},
            headers=headers,
            timeout=10,
        ).raise_for_status()
        requests.post(
            f"{server.url}/_sim/events",
            json={"environmentId": "dev", "type": "card-published"},
            headers=headers,
            timeout=10,
        ).raise_for_status()
        server.wait_for("outcome=refused")
        stop(server)
    (line,) = [line for line in server.lines if "outcome=refused" in line]
    assert "not in the allowed hosts: hooks.example.test" in line
    assert receiver.requests == []


def test_port_in_use_exits_2_with_a_message() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        process = hooksim("serve", "--port", str(port))
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in stderr
    assert "Traceback" not in stderr + stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "1"], "--seed applies to --clock virtual only"),
        (["--clock", "sundial"], "Invalid value for '--clock'"),
        (["--allow-hosts", "http://x/"], "--allow-hosts"),
        (["--client-secret", "abcdefgh"], "--client-secret needs --client-id"),
        (["--port", "70000"], "Invalid value for '--port'"),
        (["--workers", "0"], "Invalid value for '--workers'"),
        (["--per-endpoint", "0"], "Invalid value for '--per-endpoint'"),
        (["--workers", "4", "--per-endpoint", "5"], "--per-endpoint must be a whole number"),
        (["--mapping-timeout", "0"], "Invalid value for '--mapping-timeout'"),
        (["--mapping-timeout", "61"], "Invalid value for '--mapping-timeout'"),
        (["--mapping-memory", "8"], "Invalid value for '--mapping-memory'"),
        (["--read-timeout", "0"], "Invalid value for '--read-timeout'"),
        (["--max-connections", "0"], "Invalid value for '--max-connections'"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    process = hooksim("serve", "--port", "0", *args)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert message in stderr
    assert "Traceback" not in stderr
