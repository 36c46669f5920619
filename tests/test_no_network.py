"""nistpf makes no network connection at run time: the demo (load, score, register, report,
deck and chart images in Chromium) runs in a subprocess whose sockets are blocked, and the HTML
report it writes fetches nothing.

A ``sitecustomize.py`` on PYTHONPATH replaces ``socket.socket.connect``/``connect_ex``/
``sendto``, ``socket.create_connection`` and ``socket.getaddrinfo`` before nistpf is imported:
a Unix socket or a loopback address (127.0.0.0/8, ::1, "localhost") is allowed — kaleido may
talk to the Chromium it starts over a local pipe or websocket — anything else raises and is
recorded. The test fails on any recorded attempt. (Chromium itself is not Python: nistpf starts
it with MathJax off, plotly.js from the installed plotly and the switches that turn its network
services off, and ``tests/test_browser_offline.py`` records the host names it looks up: none.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from plotly.offline import get_plotlyjs

SITECUSTOMIZE = textwrap.dedent(
    '''
    """Blocks every non-local network connection and records the attempt (nistpf's tests)."""
    import ipaddress
    import json
    import os
    import socket

    _RECORD = os.environ["NISTPF_NETWORK_LOG"]


    def _local(host):
        if host in (None, "", "localhost", "localhost.localdomain"):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False


    def _check(what, address, family=None):
        if family == getattr(socket, "AF_UNIX", None) or isinstance(address, (str, bytes)):
            return
        host = address[0] if isinstance(address, tuple) and address else address
        if _local(host):
            return
        with open(_RECORD, "a") as record:
            record.write(json.dumps([what, repr(address)]) + "\\n")
        raise OSError(f"network blocked by nistpf's test: {what} {address!r}")


    _connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
    _sendto = socket.socket.sendto
    _getaddrinfo, _create_connection = socket.getaddrinfo, socket.create_connection


    def connect(self, address):
        _check("connect", address, self.family)
        return _connect(self, address)


    def connect_ex(self, address):
        _check("connect_ex", address, self.family)
        return _connect_ex(self, address)


    def sendto(self, data, *args):
        _check("sendto", args[-1], self.family)
        return _sendto(self, data, *args)


    def getaddrinfo(host, *args, **kwargs):
        _check("getaddrinfo", (host,))
        return _getaddrinfo(host, *args, **kwargs)


    def create_connection(address, *args, **kwargs):
        _check("create_connection", address)
        return _create_connection(address, *args, **kwargs)


    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo
    socket.create_connection = create_connection
    '''
)
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def _run(code: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, list]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    record = tmp_path / "network.jsonl"
    record.touch()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "NISTPF_NETWORK_LOG": str(record),
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    attempts = [json.loads(line) for line in record.read_text().splitlines()]
    return result, attempts


def test_the_blocker_blocks_and_records(tmp_path):
    code = textwrap.dedent(
        """
        import socket
        for call in (
            lambda: socket.create_connection(("93.184.216.34", 80), timeout=1),
            lambda: socket.getaddrinfo("example.com", 443),
            lambda: socket.socket().connect(("10.0.0.1", 443)),
        ):
            try:
                call()
            except OSError as error:
                assert "network blocked" in str(error), error
            else:
                raise SystemExit("not blocked")
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=1).close()  # loopback: allowed
        """
    )
    result, attempts = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert [what for what, _ in attempts] == ["create_connection", "getaddrinfo", "connect"]


def test_the_demo_runs_with_the_network_blocked(tmp_path):
    code = "import sys; from nistpf.cli import main; sys.exit(main(['demo', '-o', 'out']))"
    result, attempts = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert attempts == []
    out = tmp_path / "out"
    assert "skipped" not in result.stdout  # Chromium ran: the deck and the images are made
    for name in ("gap-register.xlsx", "report.html", "deck.pptx"):
        assert (out / name).stat().st_size > 0, name
    assert list((out / "images").glob("*.png"))
    # plotly.js, inlined once, holds URLs in its code (its logo's link, error messages);
    # everything else in the page must name nothing outside it.
    report = (out / "report.html").read_text(encoding="utf-8").replace(get_plotlyjs(), "")
    assert not EXTERNAL.findall(report)
    assert "<link" not in report.lower()
    assert "@import" not in report
