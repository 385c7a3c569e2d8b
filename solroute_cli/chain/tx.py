"""`solroute chain tx SIGNATURE`: one transaction as an explorer shows it (tx_view.py), read with
getSignatureStatuses (its commitment, searching the whole history) and getTransaction (at
confirmed: a node serves no transaction that is only processed)."""

from __future__ import annotations

import json

from solders.signature import Signature

from solroute_cli.chain.rpc import Rpc
from solroute_cli.chain.tx_view import transaction_view
from solroute_cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from solroute_cli.views import stdout


async def show(url: str, signature: str, as_json: bool) -> int:
    try:
        Signature.from_string(signature)
    except ValueError:
        raise CliError(f"{signature!r} is not a transaction signature (88 or so base-58 characters)", EXIT_USAGE) from None
    async with Rpc(url) as rpc:
        status = (await rpc.call("getSignatureStatuses", [signature], {"searchTransactionHistory": True}))["value"][0]
        config = {"encoding": "json", "commitment": "confirmed", "maxSupportedTransactionVersion": 0}
        landed = await rpc.call("getTransaction", signature, config)
    if status is None and landed is None:
        raise CliError(
            f"no transaction {signature} at {url}: it never landed (one dropped, or sent after its blockhash expired, leaves no "
            "trace), or it is on another cluster (--url)",
            EXIT_FAILED,
        )
    if as_json:
        print(json.dumps({"signature": signature, "status": status, "transaction": landed}), flush=True)
    else:
        stdout().print(transaction_view(signature, status, landed))
    return EXIT_OK
