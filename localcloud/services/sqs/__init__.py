"""SQS: standard queues with SQS's semantics and limits, served over the JSON protocol.

backend.py holds the queues and their messages, operations.py the API (and each request's
checks), errors.py SQS's errors, constants.py its limits with their documentation, and
transport.py the HTTP protocol. The conformance suite (tests/localcloud/test_sqs_conformance.py)
runs the same scenarios here and against moto."""

from localcloud.services.sqs.operations import LocalSqs

__all__ = ["LocalSqs"]
