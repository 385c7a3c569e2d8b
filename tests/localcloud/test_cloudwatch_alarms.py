"""The alarms' state as CloudWatch decides it (M out of N periods, each TreatMissingData), over
sliding windows ending now, from a store fed by hand; and how a template's alarm is read."""

import pytest

from localcloud.services.cloudwatch.alarms import ALARM, INITIAL_REASON, INSUFFICIENT_DATA, OK, AlarmSpec, Period, alarm_spec, judge, periods
from localcloud.services.cloudwatch.service import CloudWatch
from localcloud.services.cloudwatch.store import MetricStore


def spec(**overrides) -> AlarmSpec:
    base = AlarmSpec("A", "stack-a", threshold=1, evaluation_periods=3, datapoints_to_alarm=2, period=60)
    for k, v in overrides.items():
        setattr(base, k, v)
    return base


def whole(*values):
    """Periods newest first, each begun after the cloud started."""
    return [Period(1000.0 - 60 * i, v, True) for i, v in enumerate(values)]


def test_m_out_of_n_datapoints_breach_before_it_alarms():
    state, reason = judge(spec(), whole(5, 0, 0), INSUFFICIENT_DATA, INITIAL_REASON)
    assert state == OK
    assert reason.startswith("Threshold Crossed: 2 datapoints [0 (") and reason.endswith(
        "were not greater than or equal to the threshold (1) (minimum 1 datapoint for INSUFFICIENT_DATA -> OK transition)."
    )
    state, reason = judge(spec(), whole(5, 0, 2), OK, "")
    assert state == ALARM
    assert reason.startswith("Threshold Crossed: 2 out of the last 3 datapoints [5 (")
    assert "were greater than or equal to the threshold (1) (minimum 2 datapoints for OK -> ALARM transition)." in reason


@pytest.mark.parametrize(
    ("treat", "expected"),
    [("missing", INSUFFICIENT_DATA), ("ignore", "KEPT"), ("breaching", ALARM), ("notBreaching", OK)],
)
def test_each_way_to_treat_missing_data_when_every_period_is_missing(treat, expected):
    state, reason = judge(spec(treat_missing=treat), whole(None, None, None), "KEPT", "kept reason")
    assert state == expected
    if treat == "missing":
        assert reason == "Insufficient Data: 3 datapoints were unknown."
    if treat == "breaching":
        assert "no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching]" in reason
    if treat == "ignore":
        assert reason == "kept reason"


def test_missing_periods_next_to_data_count_as_treated():
    assert judge(spec(treat_missing="breaching"), whole(None, 0, None), OK, "")[0] == ALARM  # two missing breach
    assert judge(spec(treat_missing="missing"), whole(None, 0, None), ALARM, "")[0] == OK  # only the datapoint counts
    assert judge(spec(treat_missing="notBreaching"), whole(None, 5, None), OK, "")[0] == OK


def test_periods_begun_before_the_cloud_started_breach_only_with_data():
    before = [Period(0.0, None, False), Period(-60.0, None, False)]
    assert judge(spec(treat_missing="breaching", evaluation_periods=2), before, INSUFFICIENT_DATA, INITIAL_REASON)[0] == INSUFFICIENT_DATA
    assert judge(spec(datapoints_to_alarm=1), [Period(0.0, 3.0, False)], INSUFFICIENT_DATA, INITIAL_REASON)[0] == ALARM
    # a partial period's quiet data is no evidence of OK: the window is not whole yet
    state, reason = judge(spec(datapoints_to_alarm=1), [Period(0.0, 0.0, False)], INSUFFICIENT_DATA, INITIAL_REASON)
    assert (state, reason) == (INSUFFICIENT_DATA, "Insufficient Data: no whole period of 60 s since the local cloud started.")


def test_windows_slide_with_now_and_read_the_statistic():
    clock = [1000.0]
    store = MetricStore(clock=lambda: clock[0])
    for at, value in ((950.0, 1.0), (955.0, 4.0), (890.0, 7.0)):
        store.put("NS", "M", {"d": "x"}, value, at=at)
    alarm = alarm_spec("A", {"Namespace": "NS", "MetricName": "M", "Dimensions": [{"Name": "d", "Value": "x"}], "Statistic": "Maximum",
                             "Period": 60, "EvaluationPeriods": 2, "Threshold": 5, "ComparisonOperator": "GreaterThanThreshold"}, lambda v: v)  # fmt: skip
    assert [(p.start, p.value, p.whole) for p in periods(alarm, store, 1000.0, started=900.0)] == [(940.0, 4.0, True), (880.0, 7.0, False)]
    # DatapointsToAlarm defaults to EvaluationPeriods: one breaching period of two is not enough
    assert judge(alarm, periods(alarm, store, 1000.0, 900.0), INSUFFICIENT_DATA, "")[0] == OK
    assert [p.value for p in periods(alarm, store, 1010.0, 900.0)] == [4.0, 7.0]  # 10 s later: still both
    assert [p.value for p in periods(alarm, store, 1016.0, 900.0)] == [None, 4.0]  # 950 and 890 slid out


def test_a_math_alarm_reads_its_metrics_and_returns_one_expression():
    store = MetricStore(clock=lambda: 100.0)
    store.put("AWS/SQS", "NumberOfMessagesReceived", {"QueueName": "dlq"}, 2, at=90.0)
    props = {
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": 1, "EvaluationPeriods": 1, "TreatMissingData": "notBreaching",
        "Metrics": [
            {"Id": "visible", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": "dlq"}]}, "Period": 60, "Stat": "Maximum"}},
            {"Id": "received", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": "AWS/SQS", "MetricName": "NumberOfMessagesReceived",
                "Dimensions": [{"Name": "QueueName", "Value": "dlq"}]}, "Period": 60, "Stat": "Sum"}},
            {"Id": "total", "Expression": "FILL(visible, 0) + FILL(received, 0)"},  # ReturnData is true unless said otherwise
        ],
    }  # fmt: skip
    alarm = alarm_spec("Dlq", props, lambda v: v)
    assert alarm.unsupported is None and alarm.period == 60
    assert alarm.value(store, 40.0, 100.0) == 2.0
    assert alarm.value(store, 0.0, 40.0) == 0.0


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"}, "anomaly detection"),
        ({"TreatMissingData": "sometimes"}, "TreatMissingData"),
        ({"Statistic": "IQM"}, "statistic"),
        ({"Metrics": [{"Id": "e", "Expression": "ANOMALY_DETECTION_BAND(m)", "ReturnData": True}]}, "not supported"),
    ],
)
def test_an_alarm_the_local_cloud_cannot_evaluate_says_why(change, why):
    props = {"Namespace": "NS", "MetricName": "M", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1,
             "ComparisonOperator": "GreaterThanThreshold", **change}  # fmt: skip
    alarm = alarm_spec("A", props, lambda v: v)
    assert alarm.unsupported and alarm.unsupported.startswith("not evaluated locally") and why in alarm.unsupported


def test_a_state_change_is_logged_with_its_reason_and_the_actions_it_would_notify():
    clock, lines = [1000.0], []
    cloudwatch = CloudWatch(lambda text, level="INFO": lines.append(text), clock=lambda: clock[0])
    alarm = alarm_spec("Errors", {"Namespace": "AWS/Lambda", "MetricName": "Errors", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
                                  "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "AlarmActions": ["AlarmTopic"],
                                  "AlarmDescription": "Errors. Runbook: docs/operations.md#consumer-errors"}, lambda v: v)  # fmt: skip
    cloudwatch.watch([alarm])
    clock[0] = 1001.0
    cloudwatch.store.put("AWS/Lambda", "Errors", {}, 1)
    clock[0] = 1002.0
    cloudwatch.evaluate()
    assert lines[0].startswith("alarm Errors: INSUFFICIENT_DATA -> ALARM: Threshold Crossed: 1 out of the last 1 datapoints [1 (")
    assert lines[1] == "alarm Errors: would notify AlarmTopic (ALARM; the local cloud sends no notification)"
    shown = cloudwatch.alarms[0].as_json()
    assert (shown["state"], shown["runbook"], shown["value"], shown["sinceMs"]) == (ALARM, "consumer-errors", 1.0, 1002000)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now


def test_a_queues_age_leaves_out_a_message_received_three_times_as_sqs_does():
    """SQS moves a message received three times or more to the back: the age is the oldest of the
    others (AWS's SQS metrics page), so a poison pill alone does not hold the age alarm up."""
    from localcloud.services.sqs.backend import SqsBackend

    clock = _Clock()
    backend = SqsBackend(clock)
    queue = backend.create_queue("q", "http://sqs/q", {})
    poison = queue.send("poison", {}, 0)
    clock.now += 100
    queue.send("fresh", {}, 0)
    clock.now += 10
    cloudwatch = CloudWatch(lambda *_: None, clock=lambda: clock.now)
    cloudwatch.queues = backend

    def age() -> float | None:
        cloudwatch.sample_queues()
        return cloudwatch.store.statistic("AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": "q"}, "Maximum", clock.now - 0.5, clock.now + 0.5)

    assert age() == 110
    poison.receive_count = 3
    clock.now += 1
    assert age() == 11, "the fresh message's age: the poison pill went to the back"
