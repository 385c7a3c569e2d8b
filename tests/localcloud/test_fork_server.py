"""The fork server (fork_server.py, template_process.py): a function's handler is imported once,
in a template process, and each new instance is forked from it, after the runtime hooks a
restored SnapStart snapshot runs. What an instance does once started is test_runtime.py's."""

import asyncio
import os
import signal

import pytest

from localcloud.services.awslambda.runtime import FORK_ENV
from tests.support.local_function import function, run


def _invoke_twice_at_once(fn):
    """Two invocations in flight together: two instances."""
    return asyncio.gather(fn.invoke({}), fn.invoke({}))


def test_instances_are_forked_from_one_init_and_each_runs_the_after_restore_hooks():
    async def scenario():
        fn = function("snapshot_hooks.handler")
        try:
            first, second = await _invoke_twice_at_once(fn)
            return first.result, second.result, fn.stats
        finally:
            await fn.stop()

    first, second, stats = run(scenario())
    assert first["pid"] != second["pid"] and stats.cold_starts == 2
    template = first["initPid"]
    assert second["initPid"] == template and template not in (first["pid"], second["pid"]), "imported once, in the template"
    assert first["parent"] == second["parent"] == template
    # Before the snapshot: once, in the template, in reverse order of registration (as Lambda runs them).
    assert first["before"] == second["before"] == [["second", template], ["first", template]]
    # After the restore: in each instance, in order of registration, before its first invocation.
    assert first["after"] == [["first", first["pid"]], ["second", first["pid"]]]
    assert second["after"] == [["first", second["pid"]], ["second", second["pid"]]]


def test_a_plain_start_imports_in_each_instance_and_runs_no_runtime_hooks(monkeypatch):
    monkeypatch.setenv(FORK_ENV, "0")

    async def scenario():
        fn = function("snapshot_hooks.handler")
        try:
            return (await fn.invoke({})).result
        finally:
            await fn.stop()

    result = run(scenario())
    assert result["initPid"] == result["pid"] and result["before"] == [] and result["after"] == []


def test_a_failing_after_restore_hook_fails_the_instance_like_lambdas_snapstart_exception():
    async def scenario():
        logs = []
        fn = function("snapshot_hooks.handler", env={"RESTORE_FAILS": "1"}, logs=logs)
        try:
            return await fn.invoke({}), logs
        finally:
            await fn.stop()

    result, logs = run(scenario())
    assert not result.ok and result.error["errorType"] == "SnapStartException"
    assert "cannot reopen" in result.error["errorMessage"]
    assert any("init failed: SnapStartException" in line for _, line in logs)


@pytest.mark.parametrize("hazard", ["thread", "socket"])
def test_an_init_that_leaves_a_thread_or_a_socket_makes_instances_start_the_plain_way(hazard):
    async def scenario():
        logs = []
        fn = function("fork_hazards.handler", env={"HAZARD": hazard}, logs=logs)
        try:
            return await fn.invoke({}), logs
        finally:
            await fn.stop()

    result, logs = run(scenario())
    assert result.ok and result.result["initPid"] == result.result["pid"], "imported in its own process: not forked"
    assert any("start the plain way" in line and hazard in line for _, line in logs)


def test_a_template_that_dies_is_replaced_and_its_dead_instances_are_never_invoked():
    async def scenario():
        fn = function("snapshot_hooks.handler")
        try:
            first = await fn.invoke({})
            template, instance = first.result["initPid"], first.result["pid"]
            os.kill(template, signal.SIGKILL)
            await _until_gone(instance)  # an instance dies with its template
            after = await fn.invoke({})
            return first, after, template
        finally:
            await fn.stop()

    first, after, template = run(scenario())
    assert after.ok and after.cold_start, after.error
    assert after.result["initPid"] not in (template, first.result["pid"]) and after.result["parent"] == after.result["initPid"]


def test_what_the_templates_init_metered_is_not_billed_to_each_instance():
    async def scenario():
        fn = function("slow_init.count", env={"INIT_SLEEP_S": "0.3"})
        fn.meter = True
        try:
            await fn.invoke({})
            return fn.stats.usage
        finally:
            await fn.stop()

    # The init's sleep ran once, before the snapshot; a plain start counts it in its instance.
    assert run(scenario())["sleptMs"] < 300


async def _until_gone(pid: int) -> None:
    """Wait (on the event loop) until ``pid`` has exited."""
    while True:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return
        except FileNotFoundError:
            return
        await asyncio.sleep(0.02)


def test_solroute_up_forks_instances_unless_told_not_to(monkeypatch):
    from localcloud.cli import config_of, parser

    monkeypatch.delenv(FORK_ENV, raising=False)
    assert config_of(parser().parse_args(["up"]), None).fork
    assert not config_of(parser().parse_args(["up", "--no-fork"]), None).fork
    monkeypatch.setenv(FORK_ENV, "0")
    assert not config_of(parser().parse_args(["up"]), None).fork
