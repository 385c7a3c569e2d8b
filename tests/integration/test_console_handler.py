"""The console function driven with events/console_*.json, with its environment from template.yaml:
the page names the stack's WebSocket API and lets the browser talk to nothing else; assets are
named by content, so only a fresh name is cached for long."""

from __future__ import annotations

import re

from solroute.models.tokens import KNOWN_TOKENS

from tests.lambdas import event


def test_the_page_names_the_stacks_websocket_and_allows_only_it_and_its_own_origin(cloud):
    console = cloud.fn("ConsoleFunction")
    page = console(event("console_page.json"))
    assert page["statusCode"] == 200 and page["headers"]["content-type"].startswith("text/html")
    websocket = console.env["WEBSOCKET_URL"]
    assert websocket.startswith("wss://") and f'<meta name="solroute-websocket" content="{websocket}">' in page["body"]
    csp = page["headers"]["content-security-policy"]
    origin = websocket.split("/", 3)[:3]
    assert f"connect-src 'self' {'/'.join(origin)};" in csp
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert page["headers"]["cache-control"] == "no-cache"
    assert "{{" not in page["body"], "every placeholder is filled"
    pickers = re.findall(r'<option value="([A-Z]+)">', page["body"])
    assert pickers == list(KNOWN_TOKENS), "the token pickers are the engine's token table"


def test_an_asset_is_served_by_its_hashed_name_and_cached_only_when_the_hash_is_current(cloud):
    console = cloud.fn("ConsoleFunction")
    page = console(event("console_page.json"))["body"]
    script = re.search(r'src="/console/console\.js\?v=([0-9a-f]{12})"', page).group(1)
    current = console(event("console_asset.json", ASSET_HASH=script))
    assert current["statusCode"] == 200 and current["headers"]["content-type"].startswith("text/javascript")
    assert "immutable" in current["headers"]["cache-control"] and "class OrderView" in current["body"]
    stale = console(event("console_asset.json", ASSET_HASH="000000000000"))
    assert stale["statusCode"] == 200 and stale["headers"]["cache-control"] == "no-cache"


def test_anything_else_is_a_json_404_and_a_websocket_url_cannot_break_out_of_the_page(cloud):
    console = cloud.fn("ConsoleFunction")
    missing = console(event("console_asset.json", **{"/console/console.js": "/console/..%2Fapp.py"}))
    assert missing["statusCode"] == 404 and '"NOT_FOUND"' in missing["body"]
    console.env["WEBSOCKET_URL"] = 'wss://x.example/dev"><script>alert(1)</script>'
    console.module.page.cache_clear()
    page = console(event("console_page.json"))
    assert "<script>alert" not in page["body"] and "&quot;&gt;&lt;script&gt;" in page["body"]
