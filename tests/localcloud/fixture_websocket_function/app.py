"""Route functions that fail, for the WebSocket API's tests (not part of the application)."""

import time


def fail(event, context):
    raise RuntimeError("the route's function failed on " + event["requestContext"]["routeKey"])


def hang(event, context):
    time.sleep(3600)  # beyond any Timeout: the runtime ends the invocation as Sandbox.Timedout
