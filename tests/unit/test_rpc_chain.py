"""The engine on the RPC chain: each order a signed Solana transaction on the local validator (in
process, on the engine's fake clock), the wallet's balances the chain's. The rules of
docs/chain.md: sign at the venues' firm prices, store before sending, resend the same bytes,
fail or re-sign only once the blockhash can no longer land."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from solders.transaction import Transaction

from solroute.dex.faults import FaultPlan
from solroute.dex.randomness import Randomness
from solroute.dex.solana.programs import MEMO_PROGRAM, TOKEN_PROGRAM, associated_token_address, transfer_checked, to_units
from solroute.dal.solana.transactions import send_and_confirm
from solroute.models.errors import InvalidRequest, NotFinalYet
from solroute.models.order import OrderStatus
from tests.fakes import TEST_CALLER
from tests.support.rpc_engine import build_rpc_engine

S = OrderStatus
KEY = TEST_CALLER.key_id


class Crash(BaseException):
    """The invocation dies here (a fault point's crash), in process."""


def _raise(point: str) -> None:
    raise Crash(point)


def _faults(**points: str) -> FaultPlan:
    return FaultPlan.parse(",".join(f"{p.replace('_', '-')}={v}" for p, v in points.items()), Randomness(1), crash=_raise)


def _crashed(point: str):
    """An engine whose first delivery of a 1.5 SOL order dies at ``point`` (crash-before-send:
    the signed transaction stored, not sent; crash-after-send: sent, the order not updated)."""
    engine = build_rpc_engine(faults=_faults(**{point.replace("-", "_"): "1"}))
    order = engine.submit(amountIn="1.5")
    with pytest.raises(Crash):
        engine.run(order.orderId)
    return engine, order


def _decoded(order) -> Transaction:
    return Transaction.from_bytes(base64.b64decode(order.transaction.raw))


def test_a_market_order_confirms_as_one_signed_transaction_and_the_wallet_moves_by_exactly_the_fill():
    engine = build_rpc_engine()
    sol, usdc = engine.balance("SOL"), engine.balance("USDC")
    order = engine.submit(amountIn="1.5")
    engine.run(order.orderId)
    done = engine.orders.get(order.orderId)
    assert done.status is S.CONFIRMED, done.failureReason
    execution = done.execution
    assert engine.balance("SOL") == sol - Decimal("1.5")
    assert engine.balance("USDC") == usdc + execution.amountOut
    assert execution.balanceChanges == {"SOL": Decimal("-1.5"), "USDC": execution.amountOut}
    assert list(execution.balanceChanges) == ["SOL", "USDC"], "spent first, then received"
    assert execution.networkFee > 0 and execution.slot is not None
    tx = _decoded(done)
    assert str(tx.signatures[0]) == execution.txHash == done.transaction.signature, "the fee payer's signature names it"
    programs = [tx.message.account_keys[ix.program_id_index] for ix in tx.message.instructions]
    assert programs.count(TOKEN_PROGRAM) == 2 and programs[-1] == MEMO_PROGRAM
    assert bytes(tx.message.instructions[-1].data).decode() == f"solroute order {order.orderId}"
    assert tx.verify_with_results() == [True] * len(tx.signatures), "every signature is valid"
    status = engine.rpc.call("getSignatureStatuses", [execution.txHash])["value"][0]
    assert status["err"] is None and status["confirmationStatus"] in ("confirmed", "finalized")


@pytest.mark.parametrize(
    ("fields", "kind", "tokens"),
    [
        ({"tokenIn": "JUP", "tokenOut": "USDC", "amountIn": "200000"}, "split", {"JUP", "USDC"}),
        ({"tokenIn": "WIF", "tokenOut": "USDC", "amountIn": "100"}, "two-hop", {"WIF", "USDC"}),
    ],
)
def test_split_and_two_hop_routes_land_whole_in_one_transaction(fields, kind, tokens):
    engine = build_rpc_engine(funds={fields["tokenIn"]: Decimal(fields["amountIn"])})
    order = engine.submit(**fields)
    engine.run(order.orderId)
    done = engine.orders.get(order.orderId)
    assert done.status is S.CONFIRMED, done.failureReason
    assert done.routing.kind == kind
    changes = done.execution.balanceChanges
    assert set(changes) == tokens, "an intermediate token passes through the wallet and nets to zero"
    assert changes[fields["tokenIn"]] == -Decimal(fields["amountIn"]) and changes[fields["tokenOut"]] == done.execution.amountOut > 0
    assert engine.balance(fields["tokenIn"]) == 0 and engine.balance(fields["tokenOut"]) == done.execution.amountOut
    tx = _decoded(done)
    transfers = [ix for ix in tx.message.instructions if tx.message.account_keys[ix.program_id_index] == TOKEN_PROGRAM]
    assert len(transfers) == 2 * len(done.execution.legs), "two transfers a leg, every leg in the one transaction"


def test_an_order_the_wallet_cannot_pay_for_is_refused_at_submit_naming_the_balance():
    engine = build_rpc_engine(funds={"SOL": Decimal("1")})
    with pytest.raises(InvalidRequest, match=r"insufficient balance: the wallet \w+ holds 1(\.0+)? SOL, the order spends 1\.5 SOL"):
        engine.submit(amountIn="1.5")


def test_funds_that_vanish_before_the_swap_lands_fail_it_on_chain_with_nothing_moved():
    engine, order = _crashed("crash-before-send")
    assert engine.orders.get(order.orderId).status is S.SUBMITTED, "the signed transaction is stored before it is sent"
    # The wallet spends its SOL elsewhere before the stored transaction is (re)sent.
    keys = engine.chain.keys()
    wallet, mint, payer = keys.wallet(KEY), keys.mint("SOL").pubkey(), keys.fee_payer()
    elsewhere = associated_token_address(keys.venue("raydium").pubkey(), mint)
    held = engine.balance("SOL")
    send_and_confirm(engine.rpc, [transfer_checked(associated_token_address(wallet.pubkey(), mint), mint, elsewhere, wallet.pubkey(), to_units(held, 9), 9)],
                     payer, wallet, sleep=engine.clock.sleep)  # fmt: skip
    usdc = engine.balance("USDC")
    engine.chain.faults = FaultPlan()
    engine.run(order.orderId, receive_count=2)
    done = engine.orders.get(order.orderId)
    assert done.status is S.FAILED
    assert "failed on chain at instruction 1: insufficient funds; nothing was swapped" in done.failureReason
    assert engine.balance("SOL") == 0 and engine.balance("USDC") == usdc, "nothing moved"
    assert done.execution.balanceChanges == {}


def test_a_resend_of_the_same_bytes_lands_once_by_the_chains_own_rule():
    engine, order = _crashed("crash-after-send")
    sent = engine.orders.get(order.orderId).transaction
    sol = engine.balance("SOL")
    for _ in range(3):  # other deliveries resend what is stored
        engine.rpc.send_transaction(sent.raw)
    engine.chain.faults = FaultPlan()
    engine.run(order.orderId, receive_count=2)
    done = engine.orders.get(order.orderId)
    assert done.status is S.CONFIRMED and done.execution.txHash == sent.signature
    assert engine.balance("SOL") == sol, "it was spent once, by the first send"


def test_a_dropped_send_is_resent_and_lands():
    engine = build_rpc_engine(faults=_faults(rpc_drop="1"))
    order = engine.submit(amountIn="1.5")
    outcomes = engine.executor.process(order.orderId)
    assert outcomes.action == "requeue" and engine.orders.get(order.orderId).status is S.SUBMITTED
    assert engine.rpc.call("getSignatureStatuses", [engine.orders.get(order.orderId).transaction.signature])["value"][0] is None
    engine.chain.faults = FaultPlan()
    engine.run(order.orderId)
    assert engine.orders.get(order.orderId).status is S.CONFIRMED


def test_an_order_whose_blockhash_expired_fails_only_once_the_chain_says_it_can_never_land():
    engine = build_rpc_engine(faults=_faults(blockhash_expired="1"), max_attempts=2)
    order = engine.submit(amountIn="1.5")
    sol = engine.balance("SOL")
    engine.run(order.orderId)
    done = engine.orders.get(order.orderId)
    assert done.status is S.FAILED, done.history[-1].message
    assert "nothing was swapped" in done.failureReason
    height = engine.rpc.block_height()
    assert height > done.transaction.lastValidBlockHeight, "failed only after its last valid block height"
    assert engine.rpc.call("getSignatureStatuses", [done.transaction.signature])["value"][0] is None
    assert engine.balance("SOL") == sol


def test_expire_waits_while_the_blockhash_may_still_land():
    engine, order = _crashed("crash-before-send")
    swap = engine.orders.get(order.orderId).transaction
    with pytest.raises(NotFinalYet, match="it can still land for \\d+ more blocks") as wait:
        engine.chain.expire(swap, engine.clock.ms)
    engine.clock.ms = wait.value.at_ms
    assert engine.chain.expire(swap, engine.clock.ms) is None, "past its last valid block: it never lands"


def test_the_largest_route_fits_one_transaction():
    """Two hops, each split across both venues, into accounts the wallet must first create: the
    most a route holds still fits Solana's 1,232-byte transaction."""
    from solders.hash import Hash

    from solroute.dex.solana.keys import ChainKeys
    from solroute.dex.solana.swap import Mint, swap_transaction
    from solroute.models.order import RouteLeg
    from solroute.models.tokens import KNOWN_TOKENS

    keys = ChainKeys(bytes(32))
    leg = dict(poolId="p", amountIn=Decimal("1.123456"), amountOut=Decimal("2.654321"), fee=Decimal("0.003"), priceImpact=Decimal("0.01"))
    legs = [RouteLeg(dex=dex, tokenIn=a, tokenOut=b, **leg) for a, b in (("WIF", "SOL"), ("SOL", "USDC")) for dex in ("meteora", "raydium")]
    mints = {s: Mint(keys.mint(s).pubkey(), t.decimals) for s, t in KNOWN_TOKENS.items()}
    venues = {v: keys.venue(v) for v in ("meteora", "raydium")}
    tx = swap_transaction("0" * 36, legs, keys.wallet("k"), keys.fee_payer(), venues, mints, set(), Hash.default())
    assert len(bytes(tx)) <= 1232, len(bytes(tx))


def test_a_node_without_confirmation_status_still_settles_a_rooted_transaction():
    """Older nodes answer confirmationStatus null, and confirmations null once a transaction is
    rooted: that is final, or the order would wait for ever."""
    engine, order = _crashed("crash-after-send")
    swap = engine.orders.get(order.orderId).transaction
    engine.clock.ms += 60_000  # long since final
    real = engine.rpc.call

    def old_node(method, *params):
        answer = real(method, *params)
        if method == "getSignatureStatuses":
            answer["value"] = [dict(s, confirmationStatus=None, confirmations=None) if s else s for s in answer["value"]]
        return answer

    engine.rpc.call = old_node
    assert engine.chain.lookup(swap).status == "success"


def test_two_equal_faucet_requests_in_one_slot_both_land():
    """Same token, same amount, same blockhash: without something unique in it, the second would be
    the very same transaction and be refused as already processed (found by the API contract test)."""
    from dataclasses import replace

    from tests.support.engine import RELIABLE

    engine = build_rpc_engine(replace(RELIABLE, swap_delay_min_ms=0, swap_delay_max_ms=0), funds={})  # confirmed at once: one slot
    first = engine.wallets.fund(KEY, "SOL", Decimal(10))
    second = engine.wallets.fund(KEY, "SOL", Decimal(10))
    assert first != second and engine.balance("SOL") == 20
