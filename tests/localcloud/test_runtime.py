"""The Lambda runtime (localcloud/services/awslambda) runs functions as Lambda does: warm reuse,
isolation, timeouts, errors."""

import asyncio

import pytest

from tests.support.local_function import function, run

pytestmark = pytest.mark.usefixtures("either_instance_start")


def test_a_warm_instance_keeps_its_module_state_and_gets_a_real_context():
    async def scenario():
        fn = function("app.count", env={"ONLY_MINE": "yes"})
        try:
            return [await fn.invoke({}) for _ in range(3)], fn.stats
        finally:
            await fn.stop()

    results, stats = run(scenario())
    assert [r.result["count"] for r in results] == [1, 2, 3]
    assert len({r.result["pid"] for r in results}) == 1
    assert results[0].cold_start and not results[1].cold_start and stats.cold_starts == 1
    assert results[0].result["env"] == "yes"
    assert 2000 < results[0].result["remaining"] <= 3000
    assert results[0].result["request"] == results[0].request_id


def test_an_invocation_reports_its_own_cpu_time_apart_from_its_waiting():
    async def scenario():
        fn = function("app.spin")
        try:
            return await fn.invoke({"cpuMs": 50, "sleepS": 0.3}), fn.stats
        finally:
            await fn.stop()

    result, stats = run(scenario())
    # The CPU burnt counts, the sleep does not: the wall time is at least their sum.
    assert 50 <= result.cpu_ms < 250 and result.duration_ms >= 300 + 50
    assert stats.as_dict()["cpuMsTotal"] == round(result.cpu_ms, 1)


def test_two_functions_never_share_module_state_or_environment():
    async def scenario():
        first, second = function("app.count", env={"ONLY_MINE": "first"}), function("app.count")
        try:
            return (await first.invoke({})).result, (await first.invoke({})).result, (await second.invoke({})).result
        finally:
            await asyncio.gather(first.stop(), second.stop())

    a1, a2, b1 = run(scenario())
    assert (a2["count"], b1["count"]) == (2, 1)
    assert b1["env"] is None and a1["pid"] != b1["pid"]


def test_the_timeout_is_enforced_and_the_instance_replaced():
    async def scenario():
        logs = []
        fn = function("app.sleep", timeout=1, logs=logs)
        try:
            timed_out = await fn.invoke({"seconds": 5})
            after = await fn.invoke({"seconds": 0})
            return timed_out, after, fn.stats, logs
        finally:
            await fn.stop()

    timed_out, after, stats, logs = run(scenario())
    assert not timed_out.ok and timed_out.error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in timed_out.error["errorMessage"]
    assert after.ok and after.cold_start and stats.timeouts == 1
    assert any("timed out" in line for _, line in logs)


def test_an_unhandled_error_is_a_function_error_with_its_stack_not_a_hang():
    async def scenario():
        logs = []
        fn = function("app.boom", logs=logs)
        try:
            return await asyncio.wait_for(fn.invoke({"why": "bad input"}), 10), logs
        finally:
            await fn.stop()

    result, logs = run(scenario())
    assert not result.ok and result.error["errorType"] == "ValueError"
    assert result.error["errorMessage"] == "boom: bad input" and result.error["stackTrace"]
    assert any("function error: ValueError" in line for _, line in logs)


@pytest.mark.parametrize("handler, error_type", [("broken.handler", "Runtime.ImportModuleError"), ("app.unserializable", "Runtime.MarshalError")])
def test_import_and_marshal_failures_are_reported_like_lambda(handler, error_type):
    async def scenario():
        fn = function(handler)
        try:
            return await fn.invoke({})
        finally:
            await fn.stop()

    result = run(scenario())
    assert not result.ok and result.error["errorType"] == error_type


def test_reserved_concurrency_caps_invocations_in_flight():
    async def scenario():
        fn = function("app.sleep", reserved=2)
        try:
            await fn.prewarm()
            await asyncio.gather(*(fn.invoke({"seconds": 0.2}) for _ in range(6)))
            return fn.stats
        finally:
            await fn.stop()

    stats = run(scenario())
    assert stats.max_in_flight == 2 and stats.invocations == 6


def test_instances_are_capped_and_invocations_beyond_wait_for_a_free_one():
    async def scenario():
        fn = function("app.count", max_instances=2)
        try:
            results = await asyncio.gather(*(fn.invoke({}) for _ in range(12)))
            return results, fn.stats
        finally:
            await fn.stop()

    results, stats = run(scenario())
    assert all(r.ok for r in results) and stats.cold_starts == 2
    assert len({r.result["pid"] for r in results}) == 2
    assert sorted(r.result["count"] for r in results)[-1] >= 6  # the two instances shared the work


def test_reserved_concurrency_above_the_cap_still_gets_its_instances(tmp_path):
    async def scenario():
        fn = function("app.rendezvous", timeout=60, reserved=4, max_instances=2)
        try:
            event = {"dir": str(tmp_path), "parties": 4, "timeout": 30}
            return await asyncio.gather(*(fn.invoke(event) for _ in range(4))), fn.stats
        finally:
            await fn.stop()

    results, stats = run(scenario())
    assert all(r.ok and r.result["met"] for r in results), "four invocations must run at once"
    assert len({r.result["pid"] for r in results}) == 4
    assert stats.cold_starts == 4 and stats.max_in_flight == 4


# Lambda's init limit is 10 s; the tests shrink it so a "slow" init takes 2 s, not 11.
SHORT_INIT_LIMIT_S = 1.0


def test_a_timed_out_init_is_run_again_from_the_start_not_waited_for(tmp_path):
    """Lambda retries the init phase (a fresh one) within the first invocation: the module's code
    runs twice, and the second init is taken from the Timeout."""

    async def scenario():
        fn = function("slow_init.count", timeout=10, env={"INIT_SLEEP_S": "1.5", "INIT_MARKER_DIR": str(tmp_path)}, init_timeout_s=SHORT_INIT_LIMIT_S)
        try:
            return await fn.invoke({})
        finally:
            await fn.stop()

    result = run(scenario())
    assert result.ok and result.cold_start, result.error
    assert len(list(tmp_path.iterdir())) == 2, "the init that timed out, then the retried init"
    assert result.result["remaining"] <= 10_000 - 1500, "the retried init ran within the invocation's Timeout"


def test_a_retried_init_longer_than_the_timeout_times_the_invocation_out():
    async def scenario():
        # 2.5 s: within the limit plus the Timeout (what a waited-for init would get), not within the Timeout
        fn = function("slow_init.count", timeout=2, env={"INIT_SLEEP_S": "2.5"}, init_timeout_s=SHORT_INIT_LIMIT_S)
        try:
            return await fn.invoke({})
        finally:
            await fn.stop()

    result = run(scenario())
    assert not result.ok and result.error["errorType"] == "Sandbox.Timedout"


def test_an_init_beyond_the_limit_is_retried_within_the_first_invocations_timeout():
    async def scenario():
        logs = []
        fn = function("slow_init.count", timeout=10, env={"INIT_SLEEP_S": "2"}, logs=logs, init_timeout_s=SHORT_INIT_LIMIT_S)
        try:
            return await fn.invoke({}), await fn.invoke({}), logs
        finally:
            await fn.stop()

    first, second, logs = run(scenario())
    assert first.ok and first.cold_start, first.error
    assert first.result["remaining"] <= 9000, "the init beyond the limit is taken from the first invocation's Timeout"
    assert second.ok and not second.cold_start and second.result["remaining"] > 9000
    assert any("Phase: init Status: timeout" in line for _, line in logs)


def test_the_handler_gets_only_what_the_suppressed_init_left_of_the_timeout():
    async def scenario():
        fn = function("slow_init.sleep", timeout=3, env={"INIT_SLEEP_S": "2"}, init_timeout_s=SHORT_INIT_LIMIT_S)
        try:
            return await fn.invoke({"seconds": 2.5})  # 2.5 s < Timeout, but the init took over 1 s of it
        finally:
            await fn.stop()

    result = run(scenario())
    assert not result.ok and result.error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 3.00 seconds" in result.error["errorMessage"]


def test_an_init_longer_than_the_limit_plus_the_timeout_times_out_the_invocation():
    async def scenario():
        fn = function("slow_init.count", timeout=1, env={"INIT_SLEEP_S": "60"}, init_timeout_s=SHORT_INIT_LIMIT_S)
        try:
            started = asyncio.get_running_loop().time()
            result = await fn.invoke({})
            return result, asyncio.get_running_loop().time() - started, fn.stats
        finally:
            await fn.stop()

    result, waited, stats = run(scenario())
    assert not result.ok and result.error["errorType"] == "Sandbox.Timedout" and result.cold_start
    assert stats.timeouts == 1
    assert waited < 30, "given up after the init limit plus the Timeout, not after the whole init"


def test_the_execution_environment_names_the_templates_runtime():
    """AWS_EXECUTION_ENV is what Lambda sets for the function's Runtime (powertools and boto3's
    user agent read it), so a runtime change in template.yaml reaches the local functions too."""
    from dataclasses import replace

    from localcloud.services.awslambda.runtime import LocalFunction

    spec = replace(function("app.echo").spec, runtime="python3.13")
    fn = LocalFunction(spec, {}, "http://127.0.0.1:9", "test-runtime", lambda *a: None)
    assert fn.process_env()["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.13"
