"""The console's page and modules served by the console's own handler (functions/console/app.py)
beside the stand-in API (tests/support/stand_in.py), for the console's browser tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from aiohttp import web

from tests.support.stand_in import StandIn

CONSOLE = Path(__file__).resolve().parents[2] / "functions" / "console" / "app.py"


def console_handler():
    spec = importlib.util.spec_from_file_location("console_app_under_test", CONSOLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def with_console(api: StandIn) -> web.Application:
    """The stand-in API, with GET / and /console/{asset} answered by the console's own handler."""
    handler = console_handler()

    async def console(request: web.Request) -> web.Response:
        answer = handler({"rawPath": request.path, "queryStringParameters": dict(request.query)}, None)
        headers = {k: v for k, v in answer["headers"].items() if k != "content-type"}
        content_type, _, charset = answer["headers"]["content-type"].partition("; charset=")
        return web.Response(status=answer["statusCode"], text=answer["body"], content_type=content_type, charset=charset or None, headers=headers)

    app = api.app()
    app.router.add_get("/", console)
    app.router.add_get("/console/{asset}", console)
    return app
