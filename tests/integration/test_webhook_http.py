"""The webhook sender's HTTP client (solroute.dal.webhooks_http) against real servers on
127.0.0.1: it connects to the address it is given, not to what the name resolves to, while TLS
verifies the certificate for the URL's name (the SNI and the Host header name it too); it follows
no redirect; and every failure comes out coarse, never as the socket's own text."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from solroute.dal.webhooks_http import post
from solroute.models.webhooks import DeliveryFailed, WebhookTarget

LOOPBACK = [IPv4Address("127.0.0.1")]
NAME = "hooks.example.com"  # never looked up: the test hands the client the address to use


def _certificate(tmp_path):
    """A CA, and a certificate for NAME it signed; the CA's file and the server's (cert, key)."""
    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject, issuer, public_key, signer, ca, names=()):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
                   # Python 3.13's default TLS context (VERIFY_X509_STRICT) wants the issuer's key id too.
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False))  # fmt: skip
        if ca:  # and a CA that says it signs certificates
            usage = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "encipher_only", "decipher_only", "crl_sign"), False)
            builder = builder.add_extension(x509.KeyUsage(**{**usage, "key_cert_sign": True, "crl_sign": True}), critical=True)
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    leaf = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)]), ca_name, key.public_key(), ca_key, False, [NAME])
    paths = {n: tmp_path / f"{n}.pem" for n in ("ca", "cert", "key")}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


class Server:
    """An HTTP(S) server on a free port of 127.0.0.1 answering ``status`` (with a Location)."""

    def __init__(self, status=204, tls_paths=None):
        self.requests, self.server_names = [], []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                server.requests.append((self.path, dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(status)
                self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls_paths:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_paths["cert"], tls_paths["key"])
            context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def tls(tmp_path):
    paths = _certificate(tmp_path)
    server = Server(204, paths)
    yield server, ssl.create_default_context(cafile=str(paths["ca"]))
    server.stop()


def target(host, port, scheme="https", path="/hook?x=1"):
    return WebhookTarget(scheme, host, port, path, None)


def test_https_goes_to_the_pinned_address_and_verifies_the_certificate_for_the_name(tls):
    server, context = tls
    connected = []

    def connect(address, timeout, source=None):
        connected.append(address)
        return socket.create_connection(address, timeout, source)

    assert post(target(NAME, server.port), LOOPBACK, b'{"a":1}', {"Content-Type": "application/json"}, 3, tls=context, connect=connect) == 204
    assert connected == [("127.0.0.1", server.port)], "the address judged, not a lookup of the name"
    ((path, headers, body),) = server.requests
    assert (path, body, server.server_names) == ("/hook?x=1", b'{"a":1}', [NAME])
    assert headers["Host"] == f"{NAME}:{server.port}"


def test_a_certificate_for_another_name_is_a_tls_failure(tls):
    server, context = tls
    with pytest.raises(DeliveryFailed) as failed:
        post(target("other.example.org", server.port), LOOPBACK, b"{}", {}, 3, tls=context)
    assert failed.value.reason == "TLS failed" and server.requests == []
    with pytest.raises(DeliveryFailed, match="^TLS failed$"):
        post(target(NAME, server.port), LOOPBACK, b"{}", {}, 3)  # a CA the client does not trust


def test_a_redirect_is_an_answer_not_followed():
    server = Server(302)
    try:
        assert post(target("127.0.0.1", server.port, "http"), LOOPBACK, b"{}", {}, 3) == 302
        assert len(server.requests) == 1
    finally:
        server.stop()


def _listener(answer: bytes | None):
    """A TCP server that accepts one connection and writes ``answer`` (or nothing) then waits."""
    listening = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve():
        connection, _ = listening.accept()
        if answer is not None:
            connection.recv(65536)
            connection.sendall(answer)
            connection.close()
        done.wait(10)
        listening.close()

    threading.Thread(target=serve, daemon=True).start()
    return listening.getsockname()[1], done


def test_failures_are_recorded_coarsely_never_as_the_sockets_text():
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(DeliveryFailed, match="^connection failed$"):
        post(target("127.0.0.1", port, "http"), LOOPBACK, b"{}", {}, 1)

    silent, done = _listener(None)
    with pytest.raises(DeliveryFailed, match=r"^no answer within 0\.3 s$"):
        post(target("127.0.0.1", silent, "http"), LOOPBACK, b"{}", {}, 0.3)
    done.set()

    garbage, done = _listener(b"SSH-2.0-OpenSSH_9.6\r\n")
    with pytest.raises(DeliveryFailed, match="^no valid HTTP answer$"):
        post(target("127.0.0.1", garbage, "http"), LOOPBACK, b"{}", {}, 1)
    done.set()

    plain = Server(204)
    try:
        with pytest.raises(DeliveryFailed, match="^TLS failed$"):
            post(target("127.0.0.1", plain.port), LOOPBACK, b"{}", {}, 1)
    finally:
        plain.stop()
