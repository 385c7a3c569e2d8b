"""The web console: GET / and its assets (a stylesheet and ES modules), from this package's static/ folder.

No AWS call and little engine code (its token table, its statuses and its venues, all free of
pydantic and boto3, so the cold start stays small): the page talks to the HTTP API (same origin)
with the key the user enters, and to the WebSocket API, whose URL this function writes into the
page (the stack's WEBSOCKET_URL, the one POST /api/orders/execute answers). The engine's constants
the script needs are written into the page too, so the script keeps no copy of them. Assets are
named by the console's version (a hash of them all), so the page is never cached and the assets
are cached for a year."""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from solroute.dex.seeds import DEX_SEEDS  # the venues (a dataclass: no pydantic)
from solroute.models.status import CANCELLABLE, FINAL_STATUSES, OrderStatus  # no pydantic, no boto3
from solroute.models.tokens import KNOWN_TOKENS  # the engine layer's token table (no pydantic, no boto3)

STATIC = Path(__file__).parent / "static"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
ENTRY = "console.js"  # the page's script; the other modules are its imports
# A module's static import of a sibling ("./api.js"), the only kind the console's modules use.
SIBLING_IMPORT = re.compile(r"""(\b(?:from|import)\s*)(["'])\./([\w-]+\.js)\2""")
PAGE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@cache
def assets() -> tuple[dict[str, str], str]:
    """Every asset's text as served, and the console's version: the first 12 hex digits of a
    SHA-256 over them all. A module's imports are rewritten to name their module at this version
    (``./api.js`` -> ``./api.js?v=...``), so a browser caches the modules it imports as it caches
    the page's own; one version for all, since a module's URL then depends on its imports'."""
    sources = {path.name: path.read_text(encoding="utf-8") for path in sorted(STATIC.iterdir()) if path.suffix in TYPES}
    digest = hashlib.sha256()
    for name, text in sources.items():
        digest.update(f"{name}\0{text}\0".encode())
    version = digest.hexdigest()[:12]

    def versioned(found: re.Match) -> str:
        if found[3] not in sources:
            raise LookupError(f"a console module imports ./{found[3]}, which static/ does not hold")
        return f"{found[1]}{found[2]}./{found[3]}?v={version}{found[2]}"

    served = {name: SIBLING_IMPORT.sub(versioned, text) if name.endswith(".js") else text for name, text in sources.items()}
    return served, version


def engine_constants() -> dict:
    """What the script must know of the engine, from the engine's own definitions."""
    return {
        "finalStatuses": [s.value for s in OrderStatus if s in FINAL_STATUSES],
        "cancellableStatuses": [s.value for s in OrderStatus if s in CANCELLABLE],
        "venues": [{"name": d.name, "label": d.display_name} for d in DEX_SEEDS],
    }


def websocket_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("ws", "wss") and parts.netloc else ""


@lru_cache(maxsize=4)
def page(websocket_url: str) -> tuple[str, str]:
    """The page with the WebSocket URL, the engine's constants, the pickers and the assets'
    versioned names filled in, and its CSP."""
    served, version = assets()
    options = "".join(f'<option value="{t.symbol}">{t.symbol} · {t.mint}</option>' for t in KNOWN_TOKENS.values())
    boxes = (f'<label><input type="checkbox" name="dex" value="{d.name}" checked> {d.display_name}</label>' for d in DEX_SEEDS)
    venues = "\n          ".join(boxes)
    # Every module is asked for at once, not one import level after another.
    modules = [name for name in served if name.endswith(".js") and name != ENTRY]
    preloads = "\n  ".join(f'<link rel="modulepreload" href="/console/{name}?v={version}">' for name in modules)
    text = (STATIC / "index.html").read_text(encoding="utf-8")
    for placeholder, value in {
        "websocket_url": html.escape(websocket_url, quote=True),
        "engine": html.escape(json.dumps(engine_constants(), separators=(",", ":")), quote=True),
        "token_options": options,
        "venue_boxes": venues,
        "module_preloads": preloads,
        **{name: f"/console/{name}?v={version}" for name in served},
    }.items():
        text = text.replace(f"{{{{{placeholder}}}}}", value)
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
    served, version = assets()
    if name in served:
        fresh = (event.get("queryStringParameters") or {}).get("v") == version
        cache = "public, max-age=31536000, immutable" if fresh else "no-cache"
        return _response(200, TYPES[Path(name).suffix], served[name], **{"cache-control": cache})
    return _response(404, "application/json", '{"error":{"code":"NOT_FOUND","message":"no such page","details":{}}}')
