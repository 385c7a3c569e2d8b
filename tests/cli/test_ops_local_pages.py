"""`solroute ops status` reads the local cloud's alarms (GET /_localcloud/alarms) and queue ages
(POST /_localcloud/metrics) as the issue 26 contract gives them, exits 1 when an alarm is in
ALARM, and exits 3 ("alarms unknown"), saying why, when a local cloud has neither page. The pages
are served here by a stand-in HTTP server (the e2e tests run a real local cloud)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from solroute_cli.ops import status
from solroute_cli.ops.target import Stack

ALARMS = {
    "alarms": [
        {"logicalId": "OrdersDeadLetterAlarm", "name": "solroute-dev-orders-dead-letters", "state": "ALARM", "reason": "1 >= 1", "sinceMs": 1,
         "description": "...", "runbook": "orders-dead-letters", "threshold": 1, "value": 1, "periodSeconds": 60},
        {"logicalId": "HttpApi5xxAlarm", "name": "solroute-dev-http-5xx", "state": "OK", "reason": "", "sinceMs": 1,
         "description": "...", "runbook": "http-5xx", "threshold": 5, "value": 0, "periodSeconds": 60},
    ],
    "evaluatedAtMs": 1,
}  # fmt: skip


@pytest.fixture
def pages():
    asked: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: dict | None) -> None:
            data = json.dumps(body or {"message": "not found"}).encode()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            self._answer(ALARMS if self.path == "/with/_localcloud/alarms" else None)

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            asked.append(body)
            ok = self.path == "/with/_localcloud/metrics"
            self._answer({"results": {q["id"]: 42.0 if q["dimensions"]["QueueName"].endswith("OrdersQueue") else None for q in body["queries"]}} if ok else None)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()
    server.server_close()


def test_alarms_and_queue_ages_from_the_local_cloud_and_exit_1_in_alarm(pages, capsys):
    url, asked = pages
    stack = Stack("the local cloud", {}, local=f"{url}/with")
    found = status.Status()
    found.alarms = status._alarms(stack, found)
    ages = status._queue_ages(stack, ["solroute-dev-OrdersQueue", "solroute-dev-SettleQueue"], found)
    assert ages == {"solroute-dev-OrdersQueue": 42.0, "solroute-dev-SettleQueue": None}
    (query, _) = asked[0]["queries"]
    assert query == {"id": "q0", "namespace": "AWS/SQS", "metricName": "ApproximateAgeOfOldestMessage",
                     "dimensions": {"QueueName": "solroute-dev-OrdersQueue"}, "stat": "Maximum", "periodSeconds": 60}  # fmt: skip
    assert found.notes == []
    assert status.show(found, "here", as_json=False) == 1
    out = capsys.readouterr().out
    assert "ALARM             OrdersDeadLetterAlarm  docs/operations.md#orders-dead-letters" in out
    assert "OK                HttpApi5xxAlarm" in out and "1 alarm(s) in ALARM: exit 1" in out


def test_a_local_cloud_without_the_pages_is_said_so_not_an_error(pages, capsys):
    url, _ = pages
    stack = Stack("the local cloud", {}, local=f"{url}/without")
    found = status.Status()
    found.alarms = status._alarms(stack, found)
    assert status._queue_ages(stack, ["q"], found) == {}
    assert found.alarms is None
    assert found.notes == ["alarms: unknown: this local cloud does not evaluate them (no /_localcloud/alarms)",
                           "queue ages: not measured by this local cloud (no /_localcloud/metrics)"]  # fmt: skip
    # Alarms not read are not a clean bill: exit 3 ("alarms unknown"), which a script tells from 0
    assert status.show(found, "here", as_json=False) == 3
    out = capsys.readouterr().out
    assert "note: alarms: unknown: this local cloud does not evaluate them" in out and "alarms unknown (not read): exit 3" in out
    assert status.show(found, "here", as_json=True) == 3
