"""Lambda: the template's functions run as Lambda runs them, and the ways they are invoked.

runtime.py pools a function's instances (warm reuse, concurrency, Timeout, errors), instance.py
is one instance as the runtime drives it, worker.py what runs inside its process, context.py the
context a handler gets. async_invoke.py is asynchronous invocation (InvocationType Event, with
retries); api.py serves the Invoke API and errors.py its errors; constants.py holds Lambda's
limits with the documentation they come from. event_source_mappings/ polls SQS queues and
DynamoDB streams and sends their batches to a function.

Nothing is imported here: every function instance's process starts from this package
(`python -m localcloud.services.awslambda.worker`) and should import only what the worker needs."""
