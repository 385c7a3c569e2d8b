"""Lambda's named limits and behaviours that the local cloud emulates (its runtime, the Invoke API,
asynchronous invocation and event source mappings), each with the AWS documentation it comes
from. The emulator and its tests read them from here, as moto keeps its constants.py.

Choices of the local cloud's own (poll intervals, backoffs) are not here: they live, with the
reason for each, beside the code that uses them."""

from __future__ import annotations

# ---------------------------------------------------------------- runtime
# The Init phase is limited to 10 s (on-demand functions). One that does not finish in time is
# not a failed invocation: Lambda retries the Init phase (a fresh init) at the time of the first
# invocation, with the function's configured timeout, so the retried init and the handler
# together must fit in Timeout ("suppressed init").
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html (Init phase)
INIT_TIMEOUT_S = 10.0

# ---------------------------------------------------------------- the Invoke API
# https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # bytes, RequestResponse
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # bytes, Event

# ---------------------------------------------------------------- asynchronous invocation
# Lambda's defaults for asynchronous invocation (EventInvokeConfig.MaximumRetryAttempts: 0-2).
# https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
DEFAULT_MAX_RETRIES = 2
RETRY_DELAYS_S = (60.0, 120.0)

# ---------------------------------------------------------------- event source mappings
# -1 for MaximumRetryAttempts and MaximumRecordAgeInSeconds: retry until the record expires.
# https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html
UNLIMITED = -1

# FunctionResponseTypes value that lets a function answer which records of a batch failed.
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
# How Lambda reads that answer. Complete success: a null or empty response, a null or empty
# batchItemFailures list. Complete failure of the batch: an invalid response, an empty or null
# itemIdentifier, an entry without the itemIdentifier key, an itemIdentifier that is not in the
# batch. A complete failure is retried like a function error: an SQS batch is not deleted (every
# message reappears after its visibility timeout); a stream batch is retried from its start.
# https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
# https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
# (The stream page lists the empty, null and bad-key cases; a sequence number that is not in the
# batch is taken as a complete failure too, as the SQS page says of message ids and as LocalStack
# does, rather than as a checkpoint that matches nothing.)

# SQS: BatchSize defaults to 10; one ReceiveMessage returns at most 10 messages.
# https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
SQS_DEFAULT_BATCH_SIZE = 10
SQS_MAX_MESSAGES_PER_RECEIVE = 10
# Without ScalingConfig.MaximumConcurrency, Lambda starts polling a queue with five concurrent
# batches (it scales up from there on AWS; here five pollers stay).
# https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
SQS_INITIAL_CONCURRENT_BATCHES = 5

# DynamoDB Streams: BatchSize defaults to 100; one GetRecords returns at most 1,000 records;
# Lambda polls each shard four times a second.
# https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetRecords.html
# https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html (polling and batching)
STREAM_DEFAULT_BATCH_SIZE = 100
STREAM_MAX_RECORDS_PER_READ = 1000
STREAM_IDLE_POLL_S = 0.25
# On a function error a stream batch is retried until its records expire, exceed
# MaximumRecordAgeInSeconds or reach MaximumRetryAttempts; then they are discarded and the shard
# moves on. With BisectBatchOnFunctionError a failed batch is split in two and each half retried;
# splitting does not count towards the retry quota. It happens whatever ReportBatchItemFailures
# says; with a partial batch response the batch is cut at the returned sequence number instead.
# https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html
# https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html (Bisecting a batch)

# A DynamoDB stream keeps a record 24 hours; with MaximumRecordAgeInSeconds -1 ("until the record
# expires") that is how long a failing record is retried, then discarded.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html (Data retention limit)
STREAM_RETENTION_S = 24 * 60 * 60
