"""The web console: GET / and its two assets, from this package's static/ folder.

No AWS call and almost no engine code (only its token table, for the token pickers): the page talks to the HTTP API (same origin) with the key the
user enters, and to the WebSocket API, whose URL this function writes into the page (the stack's
WEBSOCKET_URL, the one POST /api/orders/execute answers). Assets are named by their content hash,
so the page is never cached and the assets are cached for a year."""

from __future__ import annotations

import hashlib
import html
import os
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from solroute.models.tokens import KNOWN_TOKENS  # the engine layer's token table (no pydantic, no boto3)

STATIC = Path(__file__).parent / "static"
ASSETS = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8"}
PAGE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@cache
def asset(name: str) -> tuple[str, str]:
    """An asset's text and the first 12 hex digits of its SHA-256."""
    text = (STATIC / name).read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode()).hexdigest()[:12]


def websocket_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("ws", "wss") and parts.netloc else ""


@lru_cache(maxsize=4)
def page(websocket_url: str) -> tuple[str, str]:
    """The page with the WebSocket URL and the assets' hashed names filled in, and its CSP."""
    text = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{websocket_url}}", html.escape(websocket_url, quote=True))
    options = "".join(f'<option value="{t.symbol}">{t.symbol} · {t.mint}</option>' for t in KNOWN_TOKENS.values())
    text = text.replace("{{token_options}}", options)
    for name in ASSETS:
        text = text.replace(f"{{{{{name}}}}}", f"/console/{name}?v={asset(name)[1]}")
    # The page runs only its own script and style, and talks only to its API and its WebSocket.
    connect = " ".join(filter(None, ["'self'", websocket_origin(websocket_url)]))
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return text, csp


def _response(status: int, content_type: str, body: str, **headers: str) -> dict:
    return {"statusCode": status, "headers": {"content-type": content_type, **PAGE_HEADERS, **headers}, "body": body}


def lambda_handler(event: dict, context: object) -> dict:
    path = event.get("rawPath") or "/"
    if path == "/":
        text, csp = page(os.environ.get("WEBSOCKET_URL", ""))
        return _response(200, "text/html; charset=utf-8", text, **{"cache-control": "no-cache", "content-security-policy": csp})
    name = path.removeprefix("/console/")
    if name in ASSETS:
        text, digest = asset(name)
        fresh = (event.get("queryStringParameters") or {}).get("v") == digest
        cache = "public, max-age=31536000, immutable" if fresh else "no-cache"
        return _response(200, ASSETS[name], text, **{"cache-control": cache})
    return _response(404, "application/json", '{"error":{"code":"NOT_FOUND","message":"no such page","details":{}}}')
