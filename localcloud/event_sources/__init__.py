"""Lambda's event source mappings as the local cloud runs them: a poller per source (an SQS queue
in sqs, a DynamoDB stream in streams) and one sender (invoke with a batch, read the answer as
Lambda does), behind one interface, base.EventSource. EventBridge schedules (schedules) implement
it too; the Lambda runtime (localcloud.runtime) is apart: a source only calls invoke()."""

from localcloud.event_sources.base import EventSource, SourceStats
from localcloud.event_sources.sqs import EndpointQueue, InProcessQueue, SqsEventSource
from localcloud.event_sources.streams import StreamEventSource

__all__ = ["EndpointQueue", "EventSource", "InProcessQueue", "SourceStats", "SqsEventSource", "StreamEventSource"]
