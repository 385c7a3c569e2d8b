import pytest

import http.client
import json
import time

from bench.cost import billed_ms, cost_lines, lambda_gb_seconds, simulated_waiting, total, wall_time_diagnostic
from bench.latencies import CALL_MS, JSON_RPC_MS, OTHER_MS, call_ms
from bench.prices import PRICES
from localcloud.meter import Meter, item_size, merge


def _stats():
    return {
        "functions": {
            "ApiFunction": {"invocations": 100, "durationMsTotal": 10_000, "logBytes": 100_000, "usage": {"calls": {"sqs.SendMessage": 100}, "wru": 300, "rru": 0}},
            "OrderConsumerFunction": {"invocations": 100, "durationMsTotal": 300_000, "cpuMsTotal": 2_000, "logBytes": 0,
                                      "usage": {"calls": {}, "wru": 1000, "rru": 200, "sleptMs": 270_000, "cpuMs": 2_000, "cpuSleptCeilMs": 272_050}},  # fmt: skip
        },
        "websocket": {"messagesIn": 100, "messagesOut": 500, "connectionMinutesBilled": 100},
        "httpRequests": 100,
        "eventSourceUsage": {"sqs.ReceiveMessage": 120, "sqs.DeleteMessageBatch": 100, "dynamodb-streams.GetRecords": 5000},
    }


def test_cpu_is_billed_at_the_functions_share_of_a_vcpu():
    """Lambda gives one vCPU at 1,769 MB: at 256 MB, CPU work takes 6.9x as long as on a core of its own."""
    from bench.cost import cpu_slowdown

    function = {"invocations": 1, "usage": {"calls": {}, "cpuMs": 10.0, "sleptMs": 100.0, "cpuSleptCeilMs": 110}}
    assert billed_ms(function, memory_mb=256).cpu == pytest.approx(10 * 1769 / 256)
    assert billed_ms(function, memory_mb=3008).cpu == 10.0 and cpu_slowdown(3008) == 1.0  # never faster than a core
    assert billed_ms(function, memory_mb=256).slept == 100.0  # waiting is not slowed


def test_gb_seconds_follow_memory_and_duration():
    assert lambda_gb_seconds(1000, 1024) == 1.0
    assert lambda_gb_seconds(3000, 256) == 0.75


def test_each_line_prices_its_quantity_per_order():
    lines = {line.item: line for line in cost_lines(_stats(), 100, {"ApiFunction": 256, "OrderConsumerFunction": 256})}
    assert lines["Lambda requests"].per_order == 2
    assert lines["Lambda requests"].dollars_per_million == pytest.approx(2 * 0.20)
    consumer = lines["Lambda duration: OrderConsumerFunction"]
    assert consumer.modelled and not lines["DynamoDB writes"].modelled
    # 20 ms of CPU on a whole core, 1769/256 times as long at 256 MB's share of a vCPU, + 2.7 s asleep + 0.5 ms rounding an invocation
    billed_s = (20 * 1769 / 256 + 2700 + 0.5) / 1000
    assert consumer.per_order == pytest.approx(billed_s * 0.25)
    assert consumer.dollars_per_million == pytest.approx(billed_s * 0.25 * PRICES["lambda_gb_second"] * 1e6)
    assert "CPU 138.2 + sleep 2700.0 + calls 0.0 + rounding 0.5" in consumer.note
    assert lines["WebSocket messages"].per_order == 6
    assert lines["DynamoDB writes"].dollars_per_million == pytest.approx(13 * 0.625)
    assert lines["DynamoDB reads"].dollars_per_million == pytest.approx(2 * 0.125)
    assert lines["SQS requests"].per_order == pytest.approx(3.2)  # 1 send + 1.2 receives + 1 delete
    assert lines["DynamoDB Streams reads"].dollars_per_million == 0
    assert lines["CloudWatch Logs ingestion"].dollars_per_million == pytest.approx(1e-6 * 0.5 * 1e6)


def test_the_total_is_the_sum_and_the_waiting_share_is_shown_apart():
    lines = cost_lines(_stats(), 100, {"ApiFunction": 256, "OrderConsumerFunction": 256})
    assert total(lines) == pytest.approx(sum(line.dollars_per_million for line in lines))
    assert simulated_waiting(_stats(), 100, {"ApiFunction": 256, "OrderConsumerFunction": 256}) == pytest.approx(0.675 * 16.6667, rel=1e-4)


def test_a_cost_needs_finished_orders():
    with pytest.raises(ValueError):
        cost_lines(_stats(), 0, {})


def test_dynamodb_item_sizes_and_request_units_follow_the_billing_rules():
    assert item_size({"id": {"S": "abc"}}) == 5
    assert item_size({"n": {"N": "12345"}}) == 1 + 4
    meter = Meter()
    big = {"k": {"S": "x" * 1500}}
    assert meter._units("PutItem", {"Item": big}, {}) == (2.0, 0.0)  # 1.5 KB: two started KB
    assert meter._units("GetItem", {"ConsistentRead": True}, {"Item": big}) == (0.0, 1.0)
    assert meter._units("GetItem", {}, {"Item": big}) == (0.0, 0.5)
    assert meter._units("Query", {}, {"Items": [big] * 3}) == (0.0, 1.0)  # 4.5 KB eventually consistent
    assert meter._units("BatchWriteItem", {"RequestItems": {"t": [{"DeleteRequest": {}}, {"PutRequest": {"Item": big}}]}}, {}) == (3.0, 0.0)


# ------------------------------------------------------------------ the modelled duration
def _function(wall_ms: float, cpu_ms: float = 500.0, **usage) -> dict:
    return {"invocations": 10, "durationMsTotal": wall_ms, "cpuMsTotal": cpu_ms, "logBytes": 0, "usage": {"calls": {}, "cpuMs": cpu_ms, **usage}}


def _bill(function: dict) -> float:
    stats = {"functions": {"ApiFunction": function}}
    return next(line for line in cost_lines(stats, 10, {"ApiFunction": 1024}) if line.modelled).dollars_per_million


def test_a_slow_machine_s_wall_time_does_not_change_the_bill():
    quiet, busy = _function(600.0, cpuSleptCeilMs=505), _function(60_000.0, cpuSleptCeilMs=505)  # same work; queued for cores
    assert _bill(quiet) == _bill(busy)
    # The wall time is reported apart, as a diagnostic: 60 s at 1 GB, not part of the bill.
    assert wall_time_diagnostic({"functions": {"ApiFunction": busy}}, 10, {"ApiFunction": 1024}) == pytest.approx(6 * PRICES["lambda_gb_second"] * 1e6)


def test_waits_are_billed_sleeps_and_every_call_at_its_stated_latency():
    calls = {"dynamodb.GetItem": 10, "sqs.SendMessage": 10, "jsonrpc.getSignatureStatuses": 20, "someservice.Unknown": 1}
    billed = billed_ms(_function(1.0, cpu_ms=100.0, sleptMs=900.0, cpuSleptCeilMs=1005, calls=calls))
    assert billed.calls == 10 * CALL_MS["dynamodb.GetItem"] + 10 * CALL_MS["sqs.SendMessage"] + 20 * JSON_RPC_MS + OTHER_MS
    assert billed.total == 1005 + billed.calls  # the wall time (1 ms) plays no part
    assert call_ms("jsonrpc.sendTransaction") == JSON_RPC_MS


def test_stated_latencies_are_whole_milliseconds_so_per_invocation_rounding_stays_exact():
    # ceil(cpu + sleep + waits) == ceil(cpu + sleep) + waits only when the waits are whole ms
    assert all(isinstance(ms, int) for ms in [*CALL_MS.values(), JSON_RPC_MS, OTHER_MS])


def test_each_invocation_is_rounded_up_to_the_millisecond_on_its_own():
    meter = Meter()
    parts = []
    for cpu in (0.2, 0.2, 0.2, 1.0):  # 1.6 ms of CPU in four invocations
        parts.append(meter.take(cpu))
    usage = {}
    for part in parts:
        usage = merge(usage, part)
    assert usage["cpuMs"] == pytest.approx(1.6)
    assert usage["cpuSleptCeilMs"] == 4  # 1 + 1 + 1 + 1, not ceil(1.6) = 2
    billed = billed_ms({"invocations": 4, "usage": usage})
    assert billed.total == 4 and billed.rounding == pytest.approx(2.4)


@pytest.fixture
def installed(monkeypatch):
    """A meter installed in this process; what it patches is put back afterwards."""
    import botocore.session

    monkeypatch.setattr(time, "sleep", time.sleep)
    monkeypatch.setattr(http.client.HTTPConnection, "request", http.client.HTTPConnection.request)
    monkeypatch.setattr(botocore.session.Session, "create_client", botocore.session.Session.create_client)
    return Meter().install()


def test_an_invocation_s_sleep_is_rounded_with_its_cpu(installed):
    time.sleep(0.0015)
    part = installed.take(0.2)
    assert part["sleptMs"] == pytest.approx(1.5)
    assert part["cpuSleptCeilMs"] == 2  # ceil(0.2 + 1.5)


def test_sleeps_in_parallel_threads_are_one_wait_not_their_sum(installed):
    """The router asks both venues at once: an invocation waits through their quote delays together."""
    import threading

    both = threading.Barrier(2)

    def quote() -> None:
        both.wait()  # the two sleeps start together
        time.sleep(0.2)

    threads = [threading.Thread(target=quote) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.01)  # and one after them, alone
    assert 210 <= installed.take(0.0)["sleptMs"] < 400  # not their sum, 410 (however late a thread started)


def test_overlapping_sleeps_are_covered_once_and_apart_ones_add_up():
    from localcloud.meter import _covered

    assert _covered([]) == 0
    assert _covered([(0.0, 0.2), (0.05, 0.2), (0.3, 0.31)]) == pytest.approx(0.21)
    assert _covered([(1.0, 2.0), (0.0, 0.5), (0.4, 1.2)]) == pytest.approx(2.0)  # in any order, chained overlaps


def test_json_rpc_requests_are_counted_by_method_and_other_http_is_not(installed):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Node(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Node)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
        for body in (
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "getSignatureStatuses", "params": []}),
            json.dumps([{"jsonrpc": "2.0", "id": 2, "method": "getBlockHeight"}, {"jsonrpc": "2.0", "id": 3, "method": "getBlockHeight"}]).encode(),
            json.dumps({"TableName": "t", "Item": {"note": {"S": '"jsonrpc"'}}}),  # DynamoDB JSON that mentions it
            None,
        ):
            connection.request("POST", "/", body)
            connection.getresponse().read()
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
    assert installed.take()["calls"] == {"jsonrpc.getSignatureStatuses": 1, "jsonrpc.getBlockHeight": 2}


def test_a_metered_function_reports_each_invocation_s_cpu_and_sleep_rounded_up_on_its_own():
    from tests.support.local_function import function, run

    async def scenario():
        fn = function("app.spin")
        fn.meter = True
        try:
            for _ in range(3):
                await fn.invoke({"cpuMs": 5, "sleepS": 0.0105})
            return fn.stats.as_dict()
        finally:
            await fn.stop()

    stats = run(scenario())
    usage = stats["usage"]
    assert usage["sleptMs"] == pytest.approx(31.5)
    assert usage["cpuMs"] == pytest.approx(stats["cpuMsTotal"], abs=0.1)
    # Each of the three invocations rounds up its own CPU + sleep: less than 1 ms added each.
    assert 0 < usage["cpuSleptCeilMs"] - usage["cpuMs"] - usage["sleptMs"] < 3
    assert billed_ms(stats).total == usage["cpuSleptCeilMs"]  # no calls made


def test_what_depends_on_this_machine_s_speed_is_modelled_not_counted():
    """A slow run keeps connections open longer and its event source polls an empty queue more
    often: neither is what an order brings on AWS."""
    stats = _stats()
    slow = {**stats, "websocket": {**stats["websocket"], "connected": 100, "connectionMinutesBilled": 300},
            "eventSourceUsage": {**stats["eventSourceUsage"], "sqs.ReceiveMessage": 900}}  # fmt: skip
    memory = {"ApiFunction": 256, "OrderConsumerFunction": 256}
    lines = {line.item: line for line in cost_lines(slow, 100, memory, sqs_fed=("OrderConsumerFunction",))}
    assert lines["WebSocket connection minutes"].per_order == 1  # one a connection
    assert lines["SQS requests"].per_order == pytest.approx(3.0)  # 1 send + 1 receive a batch delivered + 1 delete
