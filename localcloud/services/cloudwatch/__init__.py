"""CloudWatch on the local cloud: metrics and the template's alarms.

store.py keeps the datapoints and computes statistics, emf.py reads the metrics functions print
(the embedded metric format), expressions.py evaluates metric math, alarms.py reads the
template's alarms and decides their state, and service.py feeds the store from every source,
evaluates the alarms each second and serves /_localcloud/alarms and /_localcloud/metrics."""

from localcloud.services.cloudwatch.alarms import alarms_of
from localcloud.services.cloudwatch.service import CloudWatch

__all__ = ["CloudWatch", "alarms_of"]
