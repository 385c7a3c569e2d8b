"""The webhook sender with a double for each thing around it: the deployment's signing master,
the log that records attempts, the HTTP client (a receiver answering each POST in turn) and DNS."""

from __future__ import annotations

from solroute.logic.webhooks import WebhookSecrets, WebhookSender
from tests.fakes import FakeClock

BODY = b'{"type":"status_update","orderId":"o-1","status":"confirmed","seq":5}'


class Master:
    def __init__(self):
        self.reads, self.stored = 0, None

    def get_or_create(self, candidate: bytes) -> bytes:
        self.reads += 1
        self.stored = self.stored or candidate
        return self.stored


class Log:
    def __init__(self, fail: bool = False):
        self.records, self.fail = [], fail

    def record(self, order_id, seq, attempt, most):
        if self.fail:
            raise RuntimeError("store down")
        self.records.append((order_id, seq, attempt, most))


class Receiver:
    """The sender's HTTP client: answers each POST in turn (a status, or raises DeliveryFailed)."""

    def __init__(self, *answers):
        self.answers, self.requests = list(answers), []

    def __call__(self, target, addresses, body, headers, timeout):
        self.requests.append((target, [str(a) for a in addresses], body, headers, timeout))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


class Resolver:
    """DNS: each lookup answers the next of ``answers`` (a list of addresses, or an error)."""

    def __init__(self, *answers):
        self.answers, self.asked = list(answers), []

    def __call__(self, host, port, timeout):
        self.asked.append(host)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer


PUBLIC_IP = "93.184.216.34"
MESSAGE = {"orderId": "o-1", "seq": 5, "status": "confirmed", "url": "https://example.com/hook", "keyId": "sr_AbCdEfGh", "payload": BODY.decode()}


def sender(receiver, log=None, **kw):
    master = Master()
    master.stored = b"m" * 32
    kw = {"resolve": Resolver([PUBLIC_IP]), **kw}
    return WebhookSender(WebhookSecrets(master), log if log is not None else Log(), FakeClock(), post=receiver, **kw)
