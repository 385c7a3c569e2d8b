"""Metrics from the lines functions print in CloudWatch's embedded metric format (EMF): what
CloudWatch Logs extracts on AWS, taken here from the log stream the local cloud already reads."""

from __future__ import annotations

import json
from collections.abc import Callable

from localcloud.services.cloudwatch.store import MetricStore

LogSink = Callable[[str, str | None, str], None]


def datapoints(record: dict) -> list[tuple[str, str, dict[str, str], float, str, float | None]]:
    """(namespace, name, dimensions, value, unit, time in s) for each metric an EMF record
    declares, once per dimension set it declares (as CloudWatch does); array values give a
    datapoint each."""
    directive = record.get("_aws")
    if not isinstance(directive, dict):
        return []
    stamp = directive.get("Timestamp")
    at = float(stamp) / 1000 if isinstance(stamp, (int, float)) else None
    points = []
    for block in directive.get("CloudWatchMetrics") or []:
        namespace = block.get("Namespace", "aws-embedded-metrics")
        dimension_sets = block.get("Dimensions") or [[]]
        for metric in block.get("Metrics") or []:
            name = metric.get("Name")
            raw = record.get(name)
            values = raw if isinstance(raw, list) else [raw]
            numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
            for names in dimension_sets:
                dimensions = {d: str(record[d]) for d in names if d in record}
                if len(dimensions) != len(names):  # a declared dimension without a value: CloudWatch drops the metric
                    continue
                points += [(namespace, name, dimensions, n, metric.get("Unit", "None"), at) for n in numbers]
    return points


class EmfTee:
    """A log sink that stores the metrics of EMF lines, then passes every line on."""

    def __init__(self, sink: LogSink, store: MetricStore) -> None:
        self.sink, self.store = sink, store

    def __call__(self, source: str, request_id: str | None, line: str) -> None:
        if line.startswith("{") and '"_aws"' in line:  # only metric lines are parsed here
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                for namespace, name, dimensions, value, unit, at in datapoints(record):
                    self.store.put(namespace, name, dimensions, value, unit, at)
        self.sink(source, request_id, line)
