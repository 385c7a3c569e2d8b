
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.loadgen import OrderTrace, burst, poisson
from bench.stats import cdf, max_in_window, min_in_full_windows, percentile, rate_per_minute, sliding_log_starts, summary


def test_percentiles_interpolate_between_ranks():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert percentile(values, 50) == 5.5
    assert percentile(values, 0) == 1 and percentile(values, 100) == 10
    assert percentile(values, 90) == pytest.approx(9.1)
    assert percentile([], 50) is None and percentile([7], 99) == 7


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=200), st.floats(min_value=0, max_value=100))
def test_a_percentile_lies_within_the_data_and_grows_with_p(values, p):
    value = percentile(values, p)
    assert min(values) <= value <= max(values)
    assert percentile(values, min(100, p + 1)) >= value - 1e-6


def test_summary_reports_count_and_tail():
    s = summary(list(range(1, 101)))
    assert s["count"] == 100 and s["p50"] == 50.5 and s["p99"] == 99.0 and s["max"] == 100


def test_rolling_window_counts_are_half_open():
    times = [0, 10, 59.9, 60, 61]
    assert max_in_window(times, 60) == 4  # [0.0, 60.0) holds 0, 10, 59.9 ... and [10, 70) holds 4
    assert max_in_window([0, 60, 120], 60) == 1
    assert max_in_window([], 60) == 0


def test_steady_confirmations_at_100_per_minute_fill_every_full_minute_with_100():
    times = [i * 600 for i in range(300)]  # one every 600 ms (integers: no float drift at the edges)
    assert max_in_window(times, 60_000) == 100
    assert min_in_full_windows(times, 60_000, 0, times[-1], step=100) == 100
    assert rate_per_minute([t / 1000 for t in times]) == pytest.approx(100)
    assert min_in_full_windows(times, 60_000, 0, 30_000) is None  # shorter than a window


def test_cdf_ends_at_one():
    xs, ys = cdf([3, 1, 2])
    assert xs == [1, 2, 3] and ys == [pytest.approx(1 / 3), pytest.approx(2 / 3), 1.0]


def test_poisson_arrivals_have_the_asked_rate_and_are_reproducible():
    arrivals = poisson(90, 3600, seed=1)
    assert 90 * 60 * 0.95 < len(arrivals) < 90 * 60 * 1.05
    assert arrivals == poisson(90, 3600, seed=1) and arrivals == sorted(arrivals)
    assert burst(3) == [0.0, 0.0, 0.0]


def test_an_order_trace_derives_its_latencies():
    trace = OrderTrace(0, offered_ms=1000, posted_ms=1000, accepted_ms=1040, final_ms=4000)
    trace.statuses["routing"] = (1100, 1110, True)
    assert trace.post_ms == 40 and trace.submit_to_final_ms == 3000 and trace.written("routing") == 1100
    assert trace.written("building") is None


def test_cpu_per_kind_counts_only_what_was_used_in_between():
    from bench.cpu import per_kind

    before = {"1": ("moto", 10.0), "2": ("function: api", 1.0)}
    after = {"1": ("moto", 12.5), "2": ("function: api", 1.5), "3": ("function: api", 0.25)}
    used = per_kind(before, after)
    assert used == {"moto": 2.5, "function: api": 0.75}


def test_cpu_kinds_know_the_processes_the_local_cloud_starts():
    from bench.cpu import _kind
    from localcloud.services.awslambda.fork_server import TEMPLATE_MODULE
    from localcloud.services.awslambda.instance import WORKER_MODULE
    from localcloud.services.dynamodb.endpoint import SERVER_MODULE

    assert _kind(f"/venv/bin/python -m {SERVER_MODULE} 127.0.0.1 4566 --meter", "") == "moto (DynamoDB)"
    assert _kind(f"/venv/bin/python -m {WORKER_MODULE}", "LAMBDA_TASK_ROOT=/repo/functions/api\0") == "function: api"
    # A function's template process, and every instance forked from it (its command line too).
    assert _kind(f"/venv/bin/python -m {TEMPLATE_MODULE}", "LAMBDA_TASK_ROOT=/repo/functions/websocket\0") == "function: websocket"
    assert _kind("/venv/bin/python -m localcloud.cli up --http-port 0", "") == "local cloud (HTTP, WebSocket, SQS, event sources)"


def test_the_ideal_limiter_starts_at_once_until_a_window_is_full_then_as_the_oldest_start_leaves():
    starts = sliding_log_starts([0, 0, 0, 10, 70], limit=2, window=60)
    assert starts == [0, 0, 60, 60, 120]


@given(st.lists(st.floats(0, 600, allow_nan=False), max_size=300))
def test_the_ideal_limiter_never_starts_early_and_never_breaks_the_rule(arrivals):
    starts = sliding_log_starts(arrivals, limit=100, window=60)
    assert all(s >= a for s, a in zip(starts, sorted(arrivals)))
    assert max_in_window(starts, 60) <= 100


def test_cpu_snapshot_of_a_session_sees_only_that_sessions_processes():
    import os
    import subprocess
    import sys

    from bench.cpu import snapshot

    code = "import sys; print('ready', flush=True); sys.stdin.read()"
    child = subprocess.Popen([sys.executable, "-c", code, "localcloud.cli up"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
    try:
        # Once it prints, the child runs in its own session (before that, it may not have called setsid yet).
        assert child.stdout.readline() == b"ready\n"
        mine = snapshot(child.pid)
        assert set(mine) == {str(child.pid)}
        assert str(child.pid) not in snapshot(os.getsid(0))
    finally:
        child.communicate(b"")
