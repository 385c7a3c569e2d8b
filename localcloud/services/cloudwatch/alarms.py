"""The template's CloudWatch alarms: what each one watches (a metric, or metric math over
several), and CloudWatch's rules for its state (M out of N periods, missing data)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localcloud.services.cloudwatch import expressions
from localcloud.services.cloudwatch.store import MetricStore, check_statistic
from localcloud.template import Template

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
INITIAL_REASON = "Unchecked: Initial alarm creation"
_RUNBOOK = re.compile(r"Runbook:\s*\S*#([\w-]+)")
_COMPARISONS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda v, t: v >= t),
    "GreaterThanThreshold": ("greater than", lambda v, t: v > t),
    "LessThanThreshold": ("less than", lambda v, t: v < t),
    "LessThanOrEqualToThreshold": ("less than or equal to", lambda v, t: v <= t),
}
_MISSING = ("missing", "notBreaching", "breaching", "ignore")


@dataclass
class MetricStat:
    id: str
    namespace: str
    name: str
    dimensions: dict[str, str]
    stat: str
    period: int


@dataclass
class AlarmSpec:
    logical_id: str
    name: str
    description: str = ""
    comparison: str = "GreaterThanOrEqualToThreshold"
    threshold: float = 0.0
    evaluation_periods: int = 1
    datapoints_to_alarm: int = 1
    treat_missing: str = "missing"
    period: int = 60
    metrics: list[MetricStat] = field(default_factory=list)
    expressions: dict[str, str] = field(default_factory=dict)  # id -> expression
    result: str = ""  # the id whose value is compared with the threshold
    actions: dict[str, list[str]] = field(default_factory=dict)  # state -> action ARNs
    unsupported: str | None = None  # why the local cloud does not evaluate it

    @property
    def runbook(self) -> str | None:
        match = _RUNBOOK.search(self.description)
        return match.group(1) if match else None

    def breaches(self, value: float) -> bool:
        return _COMPARISONS[self.comparison][1](value, self.threshold)

    def value(self, store: MetricStore, start: float, end: float) -> float | None:
        """The alarm's value over [start, end): its statistic, or its expression's result."""
        cache: dict[str, float | None] = {}
        stats = {m.id: m for m in self.metrics}

        def lookup(metric_id: str) -> float | None:
            if metric_id not in cache:
                if metric_id in stats:
                    m = stats[metric_id]
                    cache[metric_id] = store.statistic(m.namespace, m.name, m.dimensions, m.stat, start, end)
                elif metric_id in self.expressions:
                    cache[metric_id] = None  # a cycle reads as no data rather than recursing forever
                    cache[metric_id] = expressions.evaluate(self.expressions[metric_id], lookup)
                else:
                    raise expressions.ExpressionError(f"{self.logical_id}: no metric or expression has the id {metric_id!r}")
            return cache[metric_id]

        return lookup(self.result)


def _metric_stat(metric_id: str, stat: dict, resolve: Callable[[Any], Any]) -> MetricStat:
    metric = stat["Metric"]
    dimensions = {str(d["Name"]): str(resolve(d["Value"])) for d in metric.get("Dimensions") or []}
    check_statistic(str(stat["Stat"]))
    return MetricStat(metric_id, str(metric["Namespace"]), str(metric["MetricName"]), dimensions, str(stat["Stat"]), int(stat["Period"]))


def alarm_spec(logical_id: str, props: dict, resolve: Callable[[Any], Any]) -> AlarmSpec:
    """An alarm's properties (intrinsics resolved through ``resolve``) as an AlarmSpec; one the
    local cloud cannot evaluate says why in ``unsupported``."""
    props = resolve(props)
    name = str(props.get("AlarmName") or logical_id)
    enabled = str(props.get("ActionsEnabled", True)).lower() != "false"
    actions = {state: [str(a) for a in props.get(key) or []] if enabled else [] for state, key in
               ((ALARM, "AlarmActions"), (OK, "OKActions"), (INSUFFICIENT_DATA, "InsufficientDataActions"))}  # fmt: skip
    spec = AlarmSpec(logical_id, name, str(props.get("AlarmDescription") or ""), actions=actions)
    try:
        spec.comparison = str(props["ComparisonOperator"])
        if spec.comparison not in _COMPARISONS:
            raise ValueError(f"ComparisonOperator {spec.comparison} (anomaly detection bands) is not evaluated by the local cloud")
        spec.threshold = float(props["Threshold"])
        spec.evaluation_periods = int(props.get("EvaluationPeriods", 1))
        spec.datapoints_to_alarm = int(props.get("DatapointsToAlarm", spec.evaluation_periods))
        spec.treat_missing = str(props.get("TreatMissingData", "missing"))
        if spec.treat_missing not in _MISSING:
            raise ValueError(f"TreatMissingData {spec.treat_missing!r} is none of {', '.join(_MISSING)}")
        if props.get("Metrics"):
            _read_math(spec, props["Metrics"], resolve)
        else:
            stat = props.get("ExtendedStatistic") or props["Statistic"]
            metric = {"Namespace": props["Namespace"], "MetricName": props["MetricName"], "Dimensions": props.get("Dimensions")}
            spec.metrics = [_metric_stat("m1", {"Metric": metric, "Stat": stat, "Period": props["Period"]}, resolve)]
            spec.period, spec.result = spec.metrics[0].period, "m1"
    except (KeyError, ValueError, TypeError) as error:
        spec.unsupported = f"not evaluated locally: {error if not isinstance(error, KeyError) else f'no {error.args[0]}'}"
    return spec


def _read_math(spec: AlarmSpec, items: list[dict], resolve: Callable[[Any], Any]) -> None:
    returned = []
    for item in items:
        if "MetricStat" in item:
            spec.metrics.append(_metric_stat(str(item["Id"]), item["MetricStat"], resolve))
        elif "Expression" in item:
            expressions.parse(str(item["Expression"]))  # refused now, with its reason, not at each evaluation
            spec.expressions[str(item["Id"])] = str(item["Expression"])
        else:
            raise ValueError(f"metric {item.get('Id')} has neither MetricStat nor Expression")
        if str(item.get("ReturnData", True)).lower() != "false":  # CloudWatch's default is true
            returned.append(str(item["Id"]))
    if len(returned) != 1:
        raise ValueError(f"exactly one of Metrics must have ReturnData true (found {len(returned)})")
    spec.result = returned[0]
    periods = [m.period for m in spec.metrics] + [int(i["Period"]) for i in items if "Expression" in i and "Period" in i]
    spec.period = max(periods) if periods else 60


def alarms_of(template: Template, attribute: Callable[[str, str | None], Any]) -> list[AlarmSpec]:
    """Every AWS::CloudWatch::Alarm of the template whose Condition holds."""
    specs = []
    for logical_id, resource in template.resources.items():
        if resource.get("Type") != "AWS::CloudWatch::Alarm":
            continue
        if "Condition" in resource and not template.conditions.get(resource["Condition"]):
            continue
        specs.append(alarm_spec(logical_id, resource.get("Properties", {}), lambda v: template.resolve(v, attribute)))
    return specs


# ------------------------------------------------------------ state
@dataclass
class Period:
    start: float
    value: float | None
    whole: bool  # began after the local cloud started


def _stamp(at: float) -> str:
    return time.strftime("%d/%m/%y %H:%M:%S", time.gmtime(at))


def _listed(periods: list[Period]) -> str:
    return "[" + ", ".join(f"{p.value:g} ({_stamp(p.start)})" for p in periods if p.value is not None) + "]"


def judge(spec: AlarmSpec, periods: list[Period], state: str, reason: str) -> tuple[str, str]:
    """The alarm's next state and its reason, in CloudWatch's words, from the periods of its
    evaluation range (newest first). A period that began before the local cloud started counts
    only if its data breaches: its missing data never does."""
    breaching, fine, missing = [], [], []
    for period in periods:
        if period.value is None:
            if period.whole:
                missing.append(period)
        elif spec.breaches(period.value):
            breaching.append(period)
        elif period.whole:
            fine.append(period)
    if spec.treat_missing == "breaching":
        breaching, missing_breached = breaching + missing, len(missing)
    else:
        missing_breached = 0
    if spec.treat_missing == "notBreaching":
        fine, missing = fine + missing, []
    elif spec.treat_missing == "breaching":
        missing = []
    words = _COMPARISONS[spec.comparison][0]
    if len(breaching) >= spec.datapoints_to_alarm:
        if missing_breached == len(breaching):
            text = f"no datapoints were received for {missing_breached} period{'s' * (missing_breached != 1)} and {missing_breached} missing datapoint{'s were' if missing_breached != 1 else ' was'} treated as [Breaching]"
        else:
            counted = len(breaching) + len(fine)
            text = (f"{len(breaching)} out of the last {counted} datapoints {_listed(breaching)} {'was' if len(breaching) == 1 else 'were'} "
                    f"{words} the threshold ({spec.threshold:g})")  # fmt: skip
        minimum = f"minimum {spec.datapoints_to_alarm} datapoint{'s' * (spec.datapoints_to_alarm != 1)} for {state} -> ALARM transition"
        return ALARM, f"Threshold Crossed: {text} ({minimum})."
    if fine:
        text = f"{len(fine)} datapoint{'s' * (len(fine) != 1)} {_listed(fine) if any(p.value is not None for p in fine) else ''}".rstrip()
        verb = "was" if len(fine) == 1 else "were"
        return OK, f"Threshold Crossed: {text} {verb} not {words} the threshold ({spec.threshold:g}) (minimum 1 datapoint for {state} -> OK transition)."
    if spec.treat_missing == "ignore" and missing:
        return state, reason  # CloudWatch keeps the state while data is missing
    if missing:
        return INSUFFICIENT_DATA, f"Insufficient Data: {len(missing)} datapoint{'s were' if len(missing) != 1 else ' was'} unknown."
    if breaching:  # fewer breaching periods than DatapointsToAlarm, and nothing else whole yet
        return INSUFFICIENT_DATA, f"Insufficient Data: {len(breaching)} of {spec.datapoints_to_alarm} breaching datapoints needed, no whole period yet."
    return INSUFFICIENT_DATA, f"Insufficient Data: no whole period of {spec.period} s since the local cloud started."


def periods(spec: AlarmSpec, store: MetricStore, now: float, started: float) -> list[Period]:
    """The evaluation range: EvaluationPeriods windows of Period seconds ending now, newest first."""
    out = []
    for i in range(spec.evaluation_periods):
        end = now - i * spec.period
        start = end - spec.period
        out.append(Period(start, spec.value(store, start, end), start >= started))
    return out
