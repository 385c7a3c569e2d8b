"""The local cloud's CloudWatch Logs: every line a function printed, bounded in memory, searchable
at GET /_localcloud/logs?contains=TEXT&limit=N (in time order), and the deployed resources on the
health page that `solroute ops` finds queues, tables and functions by."""

import asyncio
import io
from pathlib import Path

import aiohttp
from aiohttp import web

from localcloud.cloud import CloudConfig, LocalCloud
from localcloud.log_store import LogStore
from localcloud.logs import LogPrinter

FIXTURE = Path(__file__).resolve().parent / "fixture_template.yaml"


def test_search_gives_the_newest_matching_lines_oldest_first():
    store = LogStore()
    for i in range(10):
        store.add("ApiFunction" if i % 2 else "OrderConsumerFunction", f"r{i}", f'{{"message": "line {i}", "order": "{"A" if i < 6 else "B"}"}}')
    found = store.search('"order": "A"', limit=2)
    assert [e.message for e in found] == ['{"message": "line 4", "order": "A"}', '{"message": "line 5", "order": "A"}']
    assert [(e.function, e.request_id) for e in found] == [("OrderConsumerFunction", "r4"), ("ApiFunction", "r5")]
    assert len(store.search("")) == 10


def test_the_oldest_lines_are_dropped_past_the_line_and_byte_bounds():
    by_lines = LogStore(max_lines=3)
    for i in range(5):
        by_lines.add("F", None, f"line {i}")
    assert [e.message for e in by_lines.search("line")] == ["line 2", "line 3", "line 4"]
    assert by_lines.dropped == 2
    by_bytes = LogStore(max_bytes=10)
    for text in ("aaaa", "bbbb", "cccc"):
        by_bytes.add("F", None, text)
    assert [e.message for e in by_bytes.search("")] == ["bbbb", "cccc"]


def test_tee_keeps_each_line_and_hands_it_on():
    store, printed = LogStore(), []
    sink = store.tee(lambda fn, rid, line: printed.append((fn, rid, line)))
    sink("ApiFunction", "req", "hello")
    sink("ApiFunction", "req", "   ")  # blank: printed as it was, not kept
    assert printed == [("ApiFunction", "req", "hello"), ("ApiFunction", "req", "   ")]
    assert [e.as_json()["message"] for e in store.search("")] == ["hello"]


def test_a_running_cloud_answers_the_lines_its_functions_printed_and_names_its_resources():
    async def scenario():
        aws = web.AppRunner(web.Application())
        await aws.setup()
        await web.TCPSite(aws, "127.0.0.1", 0).start()
        endpoint = f"http://127.0.0.1:{aws.addresses[0][1]}"
        config = CloudConfig(template=FIXTURE, http_port=0, ws_port=0, lambda_port=0, solana_port=0, aws_endpoint=endpoint, prewarm=False)
        cloud = LocalCloud(config, LogPrinter(io.StringIO()))
        await cloud.start()
        try:
            # A function that raises prints its error (the runtime's line) to its log
            await cloud.functions["BoomFunction"].invoke({"why": "needle-42"})
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{cloud.http_url}/_localcloud/logs", params={"contains": "needle-42", "limit": "5"}) as r:
                    logs = await r.json()
                async with session.get(f"{cloud.http_url}/_localcloud/logs", params={"limit": "0"}) as r:
                    bad = r.status
                async with session.get(f"{cloud.http_url}/_localcloud/health") as r:
                    health = await r.json()
        finally:
            await cloud.stop()
            await aws.cleanup()
        return logs, bad, health

    logs, bad, health = asyncio.run(scenario())
    assert logs["events"], logs
    assert {e["function"] for e in logs["events"]} == {"BoomFunction"}
    assert all("needle-42" in e["message"] and e["timestampMs"] > 0 and e["requestId"] for e in logs["events"])
    assert [e["timestampMs"] for e in logs["events"]] == sorted(e["timestampMs"] for e in logs["events"])
    assert bad == 400
    assert health["resources"]["BoomFunction"]["type"] == "AWS::Lambda::Function"
    assert health["resources"]["BoomFunction"]["physicalId"]
