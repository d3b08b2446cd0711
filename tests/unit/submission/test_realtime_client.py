"""RealtimeTransport (http.client, kept-alive connections) and its sender threads: answers in the forms a payer's server may
use (Content-Length, chunked, a 100 Continue first, a body to the close), connections kept or closed as
the server says, and answers handed back in request order with the first failure raised."""

import socket
import threading
import time

import pytest

from include.billing.eligibility import MemberError, RealtimeTransport, _Senders
from include.billing.transport import TransportError


class _Canned:
    """A server answering each request on a connection with the next canned reply (raw bytes)."""

    def __init__(self, replies: list[bytes], close_after: bool = False):
        self.replies, self.close_after = list(replies), close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/x12/270"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.replies:
            conn, _ = self.sock.accept()
            self.connections += 1
            with conn:
                buf = b""
                while self.replies:
                    while b"\r\n\r\n" not in buf:
                        data = conn.recv(65536)
                        if not data:
                            break
                        buf += data
                    if b"\r\n\r\n" not in buf:
                        break
                    head, _, buf = buf.partition(b"\r\n\r\n")
                    n = int([h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0])
                    while len(buf) < n:
                        buf += conn.recv(65536)
                    self.requests.append(head + b"\r\n\r\n" + buf[:n])
                    buf = buf[n:]
                    conn.sendall(self.replies.pop(0))
                    if self.close_after:
                        break


def test_content_length_answers_on_one_kept_connection():
    srv = _Canned([b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n271",
                   b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nX-Other: a:b\r\n\r\n271-2"])
    t = RealtimeTransport(srv.url, "u", "p")
    assert t.exchange(b"270-a") == b"271" and t.exchange(b"270-b") == b"271-2"
    assert srv.connections == 1 and len(t._idle) == 1
    first = srv.requests[0]
    assert first.startswith(b"POST /x12/270 HTTP/1.1\r\n") and first.endswith(b"\r\n\r\n270-a")
    assert b"\r\nAuthorization: Basic dTpw\r\n" in first and b"\r\nContent-Length: 5\r\n" in first
    assert b"\r\nHost: 127.0.0.1:" in first and b"\r\nContent-Type: application/EDI-X12\r\n" in first
    t.close()
    assert t._idle == []


def test_chunked_answer_and_a_100_continue_before_it():
    srv = _Canned([b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"4;ext=1\r\nISA*\r\n3\r\n271\r\n0\r\nX-Trailer: 1\r\n\r\n",
                   b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    t = RealtimeTransport(srv.url)
    assert t.exchange(b"x") == b"ISA*271"
    assert t.exchange(b"y") == b"ok"            # the chunked answer was read to its end: the next one follows
    assert srv.connections == 1


def test_a_body_to_the_close_and_connection_close_are_not_kept():
    srv = _Canned([b"HTTP/1.0 200 OK\r\n\r\n271 to the end", b"HTTP/1.1 200 OK\r\nConnection: close\r\n"
                   b"Content-Length: 3\r\n\r\n271"], close_after=True)
    t = RealtimeTransport(srv.url)
    assert t.exchange(b"x") == b"271 to the end" and t._idle == []
    assert t.exchange(b"y") == b"271" and t._idle == []
    assert srv.connections == 2


def test_statuses_are_judged_as_before():
    srv = _Canned([b"HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad",
                   b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"])
    t = RealtimeTransport(srv.url)
    with pytest.raises(MemberError):
        t.exchange(b"x")
    with pytest.raises(TransportError, match="HTTP 503"):
        t.exchange(b"y")


def test_a_cut_answer_is_a_transport_error():
    srv = _Canned([b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\nonly part"], close_after=True)
    with pytest.raises(TransportError, match="unreachable"):
        RealtimeTransport(srv.url).exchange(b"x")


def test_senders_answer_in_request_order_and_raise_the_first_failure():
    def call(i, delay):
        time.sleep(delay)
        if i in (5, 7):
            raise TransportError(f"failed {i}")
        return i * 10

    senders = _Senders(3, call)
    try:
        senders.submit([(i, 0.02 if i % 2 else 0) for i in range(4)])
        senders.submit([(i, 0.03 if i == 5 else 0) for i in range(4, 9)])
        assert senders.results(0, 4) == [0, 10, 20, 30]
        with pytest.raises(TransportError, match="failed 5"):
            senders.results(4, 9)
        with pytest.raises(TransportError, match="not sent"):
            senders.results(9, 12)               # never queued (a failure stopped the sending)
    finally:
        senders.stop()
    assert not any(t.is_alive() for t in senders._threads)
