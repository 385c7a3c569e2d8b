"""A tiny function for the runtime's own tests (not part of the application)."""

import json
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
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}


def record(event, context):
    """Appends the event to the file RECORD_TO names: a test reads what the function was given."""
    with open(os.environ["RECORD_TO"], "a") as f:
        f.write(json.dumps({"event": event, "request": context.aws_request_id}) + "\n")
    return "recorded"


def rendezvous(event, context):
    """Waits until `parties` invocations are running at once (each leaves a file in `dir`), up to
    `timeout` seconds: proof that that many instances ran together, whatever the machine's load."""
    here = os.path.join(event["dir"], str(os.getpid()))
    open(here, "w").close()
    deadline = time.monotonic() + event["timeout"]
    while len(os.listdir(event["dir"])) < event["parties"] and time.monotonic() < deadline:
        time.sleep(0.02)
    return {"met": len(os.listdir(event["dir"])) >= event["parties"], "pid": os.getpid()}


def environ(event, context):
    """The names of the variables the function's process sees."""
    return sorted(os.environ)


def busy(event, context):
    """Writes this instance's pid to the file `pidFile` names, then sleeps `seconds`."""
    with open(event["pidFile"], "w") as f:
        f.write(str(os.getpid()))
    time.sleep(event["seconds"])
    return "slept"


def spin(event, context):
    """Burns about `cpuMs` of CPU, then sleeps `sleepS`: a test tells CPU time from waiting."""
    until = time.process_time() + event["cpuMs"] / 1000
    while time.process_time() < until:
        pass
    time.sleep(event["sleepS"])
    return "spun"


def emf(event, context):
    """Prints one metric in CloudWatch's embedded metric format, as powertools does."""
    print(json.dumps({"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
        {"Namespace": "Fixture", "Dimensions": [["service"]], "Metrics": [{"Name": "Things", "Unit": "Count"}]}]},
        "service": "fixture", "Things": [1, 2]}), flush=True)  # fmt: skip
    return {"statusCode": 200, "body": "counted"}
