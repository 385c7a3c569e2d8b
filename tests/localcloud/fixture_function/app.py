"""A tiny function for the runtime's own tests (not part of the application)."""

import os
import time

CALLS = {"count": 0}  # module state: survives between invocations of one warm instance


def count(event, context):
    CALLS["count"] += 1
    return {"count": CALLS["count"], "pid": os.getpid(), "env": os.environ.get("ONLY_MINE"), "remaining": context.get_remaining_time_in_millis(), "request": context.aws_request_id}


def sleep(event, context):
    time.sleep(event["seconds"])
    return "slept"


def boom(event, context):
    raise ValueError("boom: " + str(event.get("why")))


def unserializable(event, context):
    return {"when": object()}


def echo(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": __import__("json").dumps(event)}
