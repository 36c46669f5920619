"""The Chromium nistpf starts for the chart images and the slide deck looks up no host name.

Each test runs Python in network and mount namespaces of its own (``unshare --net --mount``, as
root), where a recorder stands in for the name server: only the loopback interface is up,
``/etc/resolv.conf`` is replaced — in that mount namespace only — by one naming 127.0.0.1, and a
DNS server there (UDP and TCP port 53) records every name it is asked for and answers that it
does not exist. A lookup by the system resolver (glibc's ``getaddrinfo``) or by Chromium's own
DNS client reads ``resolv.conf``, so it reaches the recorder; no other address can be reached at
all. (Before nistpf started the browser with :data:`nistpf.export.images.BROWSER_SWITCHES`, the
recorder saw update.googleapis.com, clients2.google.com and start.duckduckgo.com at every start.)

The recorder is shown to record — a lookup from Python, then one made by the browser itself for a
picture a chart names — so a count of zero means none was made, not that none was seen.

Root and util-linux's ``unshare`` are needed, and Chromium for all but the first test; without
them the tests skip, except in CI (``CI`` set), where they fail: CI must never pass by skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nistpf
from nistpf.errors import BrowserMissingError
from nistpf.export import images

# What the README's Reliability table quotes: the name lookups the browser may make while
# nistpf renders the deck's and the pack's charts.
LOOKUPS_ALLOWED = 0
PROBE_HOST = "lookup-probe.nistpf.test"  # a name nothing but the probe chart asks for
CHROMIUM = "/usr/bin/chromium"

RECORDER = textwrap.dedent(
    '''
    """Run the code in argv[2] with a recording name server; write the names asked to argv[1]."""
    import fcntl
    import json
    import os
    import socket
    import struct
    import subprocess
    import sys
    import threading
    import time

    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    names = []


    def loopback_up():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sH22x", b"lo", 0)
            flags = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


    def answer(query):
        """Record the query's name and type; answer NXDOMAIN (no such name)."""
        labels, at = [], 12
        while at < len(query) and query[at]:
            labels.append(query[at + 1 : at + 1 + query[at]].decode("ascii", "replace"))
            at += 1 + query[at]
        kind = struct.unpack(">H", query[at + 1 : at + 3])[0] if at + 3 <= len(query) else 0
        names.append([".".join(labels), kind])
        return query[:2] + struct.pack(">HHHHH", 0x8183, 1, 0, 0, 0) + query[12 : at + 5]


    def serve_udp(sock):
        while True:
            query, sender = sock.recvfrom(4096)
            sock.sendto(answer(query), sender)


    def serve_tcp(sock):
        while True:
            connection, _ = sock.accept()
            with connection:
                try:
                    size = struct.unpack(">H", connection.recv(2))[0]
                    query = b""
                    while len(query) < size:
                        query += connection.recv(size - len(query))
                    reply = answer(query)
                    connection.sendall(struct.pack(">H", len(reply)) + reply)
                except (OSError, struct.error):
                    pass


    loopback_up()
    if os.path.exists("/etc/resolv.conf"):  # without one, glibc asks 127.0.0.1 anyway
        with open("resolv.conf", "w") as conf:  # in the test's own folder
            conf.write("nameserver 127.0.0.1\\noptions attempts:1 timeout:1\\n")
        subprocess.run(["mount", "--bind", "resolv.conf", "/etc/resolv.conf"], check=True)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 53))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", 53))
    tcp.listen()
    for serve, sock in ((serve_udp, udp), (serve_tcp, tcp)):
        threading.Thread(target=serve, args=(sock,), daemon=True).start()
    try:
        exec(compile(sys.argv[2], "<test>", "exec"), {"__name__": "__main__"})
    finally:
        time.sleep(0.5)  # a query sent as the browser closed is still answered and recorded
        with open(sys.argv[1], "w") as record:
            json.dump(names, record)
    '''
)


def _require(reason: str | None) -> None:
    """Skip with ``reason`` when something the test needs is missing, or fail in CI."""
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run this test", pytrace=False)
    pytest.skip(reason)


def _namespace_missing() -> str | None:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "needs util-linux's unshare and mount for a network namespace"
    if os.geteuid() != 0:
        return "needs root for a network namespace (unshare --net --mount)"
    return None


def _browser_missing() -> str | None:
    try:
        images.find_browser()
    except BrowserMissingError:
        return f"needs Chromium ({CHROMIUM}: apt-get install chromium)"
    return None


def isolated(code: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run ``code`` (Python, in this interpreter) in namespaces of its own with the recording
    name server; its result and the names looked up, in the order asked (a name once for
    each query: A, AAAA, HTTPS, retries)."""
    _require(_namespace_missing())
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    record = tmp_path / "lookups.json"
    result = subprocess.run(
        ["unshare", "--net", "--mount", sys.executable, str(script), str(record), code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert record.exists(), f"the recorder did not run:\n{result.stderr[-3000:]}"
    return result, [name for name, _ in json.loads(record.read_text())]


def test_the_recorder_records_a_lookup_and_nothing_else_can_be_reached(tmp_path):
    code = textwrap.dedent(
        f"""
        import socket
        try:
            socket.getaddrinfo({PROBE_HOST!r}, 443)
        except socket.gaierror:
            pass  # no such name: the recorder's answer
        else:
            raise SystemExit("the name resolved")
        try:
            socket.create_connection(("93.184.216.34", 443), timeout=2)
        except OSError:
            pass
        else:
            raise SystemExit("an outside address was reached")
        """
    )
    result, lookups = isolated(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert set(lookups) == {PROBE_HOST}, lookups


def test_the_deck_and_the_chart_images_look_up_no_name(tmp_path):
    """The commands as a consultant runs them: the deck (its pictures) and the PNG pack, each
    a browser start of its own."""
    _require(_browser_missing())
    sample = nistpf.sample_path()
    code = textwrap.dedent(
        f"""
        import sys
        from nistpf.cli import main
        sys.exit(main(["report", {str(sample)!r}, "--pptx", "deck.pptx", "--png", "pack"]))
        """
    )
    result, lookups = isolated(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "deck.pptx").stat().st_size > 0
    assert sorted(p.name for p in (tmp_path / "pack").iterdir()) == sorted(
        f"{name}.png" for name in images.CHARTS
    )
    assert len(lookups) == LOOKUPS_ALLOWED, lookups


def test_the_browser_services_are_off_without_the_resolver_rule(tmp_path):
    """The switches turn the services off; the rule that resolves every name to nothing is a
    safety net, not what keeps the count at zero. Without it, the only name looked up is the
    one a chart asks for (a picture at https://PROBE_HOST/), which also shows that the recorder
    sees the browser's own lookups."""
    _require(_browser_missing())
    code = textwrap.dedent(
        f"""
        import plotly.graph_objects as go
        from nistpf.export import images

        images.BROWSER_SWITCHES = tuple(
            switch for switch in images.BROWSER_SWITCHES
            if not switch.startswith("--host-resolver-rules")
        )
        figure = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
        figure.add_layout_image(
            source="https://{PROBE_HOST}/logo.png", x=0, y=1, sizex=0.2, sizey=0.2,
            xref="paper", yref="paper",
        )
        png = images.render_png({{"probe": figure}}, sizes={{"probe": (400, 300)}})["probe"]
        assert png.startswith(b"\\x89PNG"), png[:16]
        """
    )
    result, lookups = isolated(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert set(lookups) == {PROBE_HOST}, lookups
