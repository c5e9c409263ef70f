"""The preview server against requests no browser of its own page sends:
other host names (DNS rebinding), other origins, and malformed or hostile
request headers. Each is refused with a status, at once, the connection
closed, nothing forwarded to Prometheus and no traceback printed."""

from __future__ import annotations

import socket

import pytest

from preview_fakes import FakePrometheus
from tonebridge_dash.model import Rendered
from tonebridge_dash.preview.server import PreviewServer, Prometheus
from tonebridge_dash.preview.source import previewed

DASHBOARD = {"uid": "one", "title": "One", "panels": []}


@pytest.fixture(scope="module")
def prometheus():
    with FakePrometheus() as p:
        yield p


@pytest.fixture(scope="module")
def server(prometheus):
    """The server, shared by the tests: it waits 30 s (its default) for a
    client that stops sending, longer than a test waits for its answer."""
    with PreviewServer(previewed([Rendered.of(DASHBOARD)]), Prometheus(prometheus.url)) as s:
        yield s


@pytest.fixture
def impatient(prometheus):
    """A server that drops a client silent for 1 s."""
    with PreviewServer(previewed([Rendered.of(DASHBOARD)]), Prometheus(prometheus.url), request_timeout=1.0) as s:
        yield s


def exchange(server, head: str, body: bytes = b"", wait: float = 10.0) -> tuple[int | None, str, bool]:
    """Send raw bytes; the status of the first answer (None if none), all that
    came back, and whether the server closed the connection (False: it was
    still open when this stopped waiting, after ``wait`` seconds)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as s:
        s.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except TimeoutError:
            return None, data.decode("latin-1"), False
    text = data.decode("latin-1")
    status = int(text.split(" ", 2)[1]) if text.startswith("HTTP/") else None
    return status, text, True


def get(server, path: str = "/api/dashboards", host: str | None = None, extra: str = "") -> tuple[int | None, str, bool]:
    host = f"127.0.0.1:{server.port}" if host is None else host
    return exchange(server, f"GET {path} HTTP/1.1\nHost: {host}\nConnection: close\n{extra}")


def test_its_own_names_pass(server):
    for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", f"LOCALHOST:{server.port}"):
        status, text, _ = get(server, host=host)
        assert status == 200, (host, text)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1", "localhost",
                                  "127.0.0.1:{port}.evil.example", "127.0.0.2:{port}", "[::1]:{port}", ""])
def test_any_other_host_name_is_refused(server, prometheus, host):
    seen = len(prometheus.requests)
    for path in ("/", "/d/one", "/api/dashboards/one", "/api/config", "/api/prom/api/v1/query?query=1"):
        status, text, _ = get(server, path, host=host.format(port=server.port))
        assert status == 403, (host, path, text)
        assert '"uid"' not in text and "query" not in text.split("\r\n\r\n", 1)[1]
    assert len(prometheus.requests) == seen  # nothing reached Prometheus


def test_a_request_without_a_host_or_with_two_is_refused(server):
    assert exchange(server, "GET /api/config HTTP/1.0\n")[0] == 403
    two = f"Host: 127.0.0.1:{server.port}\nHost: evil.example\n"
    assert exchange(server, f"GET /api/config HTTP/1.1\n{two}Connection: close\n")[0] == 400


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1:{port}",
                                    "http://localhost:{port}.evil.example"])
def test_a_foreign_origin_is_refused(server, prometheus, origin):
    seen = len(prometheus.requests)
    origin = origin.format(port=server.port)
    status, _, _ = get(server, "/api/prom/api/v1/query?query=1", extra=f"Origin: {origin}\n")
    assert status == 403
    body = b"query=1"
    status, _, _ = exchange(server, f"POST /api/prom/api/v1/query HTTP/1.1\nHost: 127.0.0.1:{server.port}\n"
                                    f"Origin: {origin}\nContent-Type: application/x-www-form-urlencoded\n"
                                    f"Content-Length: {len(body)}\nConnection: close\n", body)
    assert status == 403
    assert len(prometheus.requests) == seen


def test_its_own_origin_and_navigations_pass(server):
    assert get(server, extra=f"Origin: http://127.0.0.1:{server.port}\n")[0] == 200
    assert get(server, extra="Sec-Fetch-Site: same-origin\nSec-Fetch-Mode: cors\n")[0] == 200
    assert get(server, "/d/one", extra="Sec-Fetch-Site: cross-site\nSec-Fetch-Mode: navigate\n")[0] == 200
    # another site's page (another port of 127.0.0.1 is the same site) reading from here
    for site in ("cross-site", "same-site"):
        assert get(server, extra=f"Sec-Fetch-Site: {site}\nSec-Fetch-Mode: no-cors\n")[0] == 403


def post(server, length: str | None, body: bytes = b"", content_type: str = "application/x-www-form-urlencoded",
         extra: str = "") -> tuple[int | None, str, bool]:
    head = f"POST /api/prom/api/v1/query HTTP/1.1\nHost: 127.0.0.1:{server.port}\nContent-Type: {content_type}\n"
    if length is not None:
        head += f"Content-Length: {length}\n"
    return exchange(server, head + extra, body)


@pytest.mark.parametrize("length, status", [("abc", 400), ("-1", 400), ("+7", 400), ("0x10", 400), ("1e3", 400),
                                            ("7, 7", 400), ("99999999999", 413), ("1" * 40, 400)])
def test_a_bad_content_length_is_refused_at_once(server, capfd, length, status):
    got, text, closed = post(server, length, b"query=1")
    assert got == status, text
    assert closed  # answered and closed, no thread left waiting for the body (the server would wait 30 s)
    assert "Traceback" not in capfd.readouterr().err


def test_two_different_content_lengths_or_a_chunked_body_are_refused(server, capfd):
    assert post(server, "7", b"query=1", extra="Content-Length: 3\n")[0] == 400
    assert post(server, None, b"7\r\nquery=1\r\n0\r\n\r\n", extra="Transfer-Encoding: chunked\n")[0] == 501
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_on_a_get_is_not_taken_for_the_next_request(server, prometheus):
    smuggled = f"GET /api/prom/api/v1/query?query=smuggled HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    status, text, _ = exchange(server, f"GET /api/config HTTP/1.1\nHost: 127.0.0.1:{server.port}\n"
                                       f"Content-Length: {len(smuggled)}\n", smuggled)
    assert status == 400 and text.count("HTTP/1.1 ") == 1
    assert not any("smuggled" in r for r in prometheus.requests)


def test_a_post_must_be_a_form(server):
    assert post(server, "9", b'{"q": 1}', content_type="application/json")[0] == 415
    status, text, _ = post(server, "7", b"query=1", extra="Connection: close\n")
    assert status == 200 and '"success"' in text


def test_a_client_that_stops_sending_is_dropped(impatient, capfd):
    # Content-Length 100, 7 bytes sent, then silence: the server gives up after its timeout (1 s here)
    status, text, closed = post(impatient, "100", b"query=1")
    assert status is None and text == "" and closed
    # and a connection that never sends a request line
    with socket.create_connection(("127.0.0.1", impatient.port), timeout=10) as s:
        assert s.recv(10) == b""  # closed by the server, not timed out here
    assert "Traceback" not in capfd.readouterr().err
    assert get(impatient)[0] == 200  # and it still serves


def test_every_answer_carries_the_security_headers(server):
    for path in ("/", "/d/one", "/api/config", "/static/app.js", "/nope"):
        _, text, _ = get(server, path)
        head = text.split("\r\n\r\n", 1)[0].lower()
        assert "content-security-policy: default-src 'none'" in head, path
        assert "x-content-type-options: nosniff" in head and "cross-origin-resource-policy: same-origin" in head
    _, text, _ = exchange(server, f"BREW / HTTP/1.1\nHost: 127.0.0.1:{server.port}\nConnection: close\n")
    assert text.startswith("HTTP/1.1 501") and "content-security-policy" in text.lower()
