"""SQS adapter for the OrderQueue port."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from solroute.dex.faults import NO_FAULTS, FaultPlan
from solroute.models.errors import QueueUnavailable
from solroute.models.messages import OrderMessage

MAX_DELAY_SECONDS = 900  # SQS's ceiling for DelaySeconds


def message_body(order_id: str, not_before_ms: int | None = None, cycle: int | None = None) -> str:
    return OrderMessage(orderId=order_id, notBeforeMs=not_before_ms, cycle=cycle).body()


class SqsOrderQueue:
    """Orders wait to start on ``queue_url``; landed swaps wait to be final on ``settle_url``
    (the same queue when there is no settle queue). ``received_from`` is the queue this
    process's messages come from: a receipt handle only works there."""

    def __init__(
        self, client: Any, queue_url: str, faults: FaultPlan = NO_FAULTS, settle_url: str = "", received_from: str = ""
    ) -> None:
        self.client = client
        self.queue_url = queue_url
        self.settle_url = settle_url or queue_url
        self.received_from = received_from or queue_url
        self.faults = faults

    def send(self, order_id: str, delay_seconds: int = 0, not_before_ms: int | None = None, settle: bool = False, cycle: int | None = None) -> None:
        if self.faults.fires("sqs-send-error", order_id):
            raise QueueUnavailable("the order queue did not accept the order (chaos: sqs-send-error); try again shortly")
        try:
            self.client.send_message(
                QueueUrl=self.settle_url if settle else self.queue_url,
                MessageBody=message_body(order_id, not_before_ms, cycle),
                DelaySeconds=max(0, min(MAX_DELAY_SECONDS, int(delay_seconds))),
            )
        except (ClientError, BotoCoreError) as error:
            raise QueueUnavailable("the order queue did not accept the order; try again shortly") from error

    def retry_later(self, receipt_handle: str, delay_seconds: int) -> None:
        self.client.change_message_visibility(
            QueueUrl=self.received_from, ReceiptHandle=receipt_handle, VisibilityTimeout=int(delay_seconds)
        )
