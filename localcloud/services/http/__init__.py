"""API Gateway's HTTP API (payload format 2.0) in front of the template's functions.

routes.py matches a request to a route, payload.py turns a request into an event and a function's
result into a response, transport.py serves it all (aiohttp), errors.py holds API Gateway's own
answers, and constants.py its limits and behaviours with the documentation they come from."""

from localcloud.services.http.payload import build_event, to_http_response
from localcloud.services.http.routes import HttpRoute
from localcloud.services.http.transport import make_app

__all__ = ["HttpRoute", "build_event", "make_app", "to_http_response"]
