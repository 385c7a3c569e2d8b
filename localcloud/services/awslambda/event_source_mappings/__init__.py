"""Lambda's event source mappings, split as LocalStack splits them: a poller per source (sqs.py
for an SQS queue, dynamodb_streams.py for a DynamoDB stream) and one sender (sender.py: invoke
with a batch, read the answer as Lambda does), behind one interface, base.EventSource. events.py
shapes the records each source delivers, filters.py is FilterCriteria, destinations.py a stream's
on-failure destination. EventBridge schedules (services/eventbridge) implement the interface too;
the runtime (awslambda/runtime.py) is apart: a source only calls invoke()."""

from localcloud.services.awslambda.event_source_mappings.base import EventSource, SourceStats
from localcloud.services.awslambda.event_source_mappings.dynamodb_streams import StreamEventSource
from localcloud.services.awslambda.event_source_mappings.sqs import EndpointQueue, InProcessQueue, SqsEventSource

__all__ = ["EndpointQueue", "EventSource", "InProcessQueue", "SourceStats", "SqsEventSource", "StreamEventSource"]
