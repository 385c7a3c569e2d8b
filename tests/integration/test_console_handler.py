"""The console function driven with events/console_*.json, with its environment from template.yaml:
the page names the stack's WebSocket API and lets the browser talk to nothing else, and gives the
script the engine's constants; assets (the stylesheet and the ES modules) are named by the
console's version, so only a fresh name is cached for long."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys

from solroute.models.tokens import KNOWN_TOKENS

from tests.lambdas import ROOT, event


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
    script = re.search(r'<script type="module" src="/console/console\.js\?v=([0-9a-f]{12})"></script>', page).group(1)
    preloaded = set(re.findall(rf'<link rel="modulepreload" href="/console/([\w-]+\.js)\?v={script}">', page))
    bodies, modules = {}, ["console.js"]
    while modules:  # the page's script, then import by import every module it needs
        name = modules.pop()
        current = console(event("console_asset.json", **{"/console/console.js": f"/console/{name}", "ASSET_HASH": script}))
        assert current["statusCode"] == 200 and current["headers"]["content-type"].startswith("text/javascript"), name
        assert "immutable" in current["headers"]["cache-control"], name
        bodies[name] = current["body"]
        imports = re.findall(r'\bfrom "\./([\w-]+\.js)(\?v=[0-9a-f]{12})?"', current["body"])
        assert all(version == f"?v={script}" for _, version in imports), f"{name} names a module without the console's version"
        modules += [imported for imported, _ in imports if imported not in bodies]
    assert "class OrderView" in "".join(bodies.values())
    assert preloaded == set(bodies) - {"console.js"}, "the page asks for every module at once"
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


def test_the_page_gives_the_script_the_engines_own_statuses_and_venues(cloud):
    """The script keeps no copy of them (tests/e2e/test_console.py shows it ends an order on a
    final status it knows only from here): what the page says is the engine's definitions."""
    from solroute.dex.seeds import DEX_SEEDS
    from solroute.models.status import CANCELLABLE
    from solroute.models.order import FINAL_STATUSES, OrderStatus

    page = cloud.fn("ConsoleFunction")(event("console_page.json"))["body"]
    served = json.loads(html.unescape(re.search(r'<meta name="solroute-engine" content="([^"]*)">', page).group(1)))
    assert served["finalStatuses"] == [s.value for s in OrderStatus if s in FINAL_STATUSES]
    assert served["cancellableStatuses"] == [s.value for s in OrderStatus if s in CANCELLABLE]
    assert served["venues"] == [{"name": d.name, "label": d.display_name} for d in DEX_SEEDS]
    assert re.findall(r'<input type="checkbox" name="dex" value="(\w+)" checked>', page) == [d.name for d in DEX_SEEDS]


def test_the_console_function_loads_neither_pydantic_nor_boto3():
    # Its cold start: the engine's statuses and venues come from modules without either.
    code = "import sys, app; print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'boto3', 'botocore'}))"
    path = os.pathsep.join([str(ROOT / "functions" / "console"), str(ROOT / "layers" / "engine")])
    env = {**os.environ, "PYTHONPATH": path}
    loaded = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
