"""What the HTTP API answers, typed: the OpenAPI document is generated from these models, so it
describes the real responses, and the handlers return them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from solroute.models.order import Order, OrderStatus


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True)


class OrderAccepted(_Answer):
    """202 to POST /api/orders/execute."""

    orderId: str
    status: OrderStatus = Field(examples=["pending"])
    websocketUrl: str = Field(description="connect, then send {\"action\": \"subscribe\", \"orderId\": \"...\"} to follow the order")


# An order as GET answers it: Order's own fields (so the two cannot drift), under the API's name.
OrderView: type[Order] = create_model(  # type: ignore[call-overload]
    "OrderView",
    __config__=Order.model_config,
    __doc__="One order with its history, quotes, route and result. Amounts are decimal strings.",
    **{name: (info.annotation, info) for name, info in Order.model_fields.items()},
)


def order_view(order: Order) -> Order:
    return OrderView.model_validate(order.model_dump())


class OrderPage(_Answer):
    """200 to GET /api/orders: newest first."""

    orders: list[OrderView]  # type: ignore[valid-type]
    cursor: str | None = Field(description="pass it as ?cursor= for the next page; null on the last page")


class GatewayRefusal(_Answer):
    """API Gateway's own answer when it refuses a request before any function runs: 401 (no
    x-api-key header) or 403 (the authorizer found the key unknown or revoked). An HTTP API cannot
    reshape these bodies."""

    message: Literal["Unauthorized", "Forbidden"]


class Health(_Answer):
    status: Literal["ok"]
