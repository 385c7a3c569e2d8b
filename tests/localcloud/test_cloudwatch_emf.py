"""Metrics from EMF lines, as CloudWatch Logs extracts them: once per declared dimension set, a
datapoint per value of an array; a line that is not EMF passes through untouched."""

import json

from localcloud.services.cloudwatch.emf import EmfTee
from localcloud.services.cloudwatch.store import MetricStore


def test_each_dimension_set_and_each_array_value_is_a_datapoint_and_every_line_passes_on():
    store, passed = MetricStore(clock=lambda: 100.0), []
    tee = EmfTee(lambda *args: passed.append(args), store)
    record = {"_aws": {"Timestamp": 99_500, "CloudWatchMetrics": [{"Namespace": "Solroute", "Dimensions": [["service"], ["service", "dex"], ["missing"]],
              "Metrics": [{"Name": "OrdersRouted", "Unit": "Count"}, {"Name": "Latency", "Unit": "Milliseconds"}]}]},
              "service": "solroute", "dex": "raydium", "OrdersRouted": 1, "Latency": [5, 7]}  # fmt: skip
    tee("ApiFunction", "r1", json.dumps(record))
    tee("ApiFunction", "r1", '{"level": "INFO", "message": "not a metric"}')
    assert store.values("Solroute", "OrdersRouted", {"service": "solroute"}, 0, 200) == [1.0]
    assert store.values("Solroute", "Latency", {"service": "solroute", "dex": "raydium"}, 99.5, 99.6) == [5.0, 7.0]  # at the line's Timestamp
    assert not [k for k in store.metrics() if ("missing", "") in k[2] or k[2] == frozenset()]  # a dimension without a value: dropped
    assert len(store.metrics()) == 4 and [p[2] for p in passed][1] == '{"level": "INFO", "message": "not a metric"}' and len(passed) == 2


def test_points_older_than_the_retention_are_dropped():
    clock = [0.0]
    store = MetricStore(retention_s=60, clock=lambda: clock[0])
    store.put("N", "M", None, 1)
    clock[0] = 61.0
    store.put("N", "M", None, 2)
    assert store.values("N", "M", None, -1000, 1000) == [2.0]
