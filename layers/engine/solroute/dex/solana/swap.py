"""An order's route as one signed Solana transaction.

Each leg is two SPL ``TransferChecked`` instructions: the wallet pays the venue's vault in the
leg's input token, the venue's vault pays the wallet in its output token. A two-hop route goes
through the wallet's own account of the intermediate token; a split has a leg per venue. The
transaction holds every leg, a memo with the order id, and (when the wallet lacks one) the
creation of the wallet's token accounts it receives into; the engine's fee payer pays the
network fee and the rent. It executes whole or not at all: a wallet that cannot pay fails it
with nothing moved.

Each venue co-signs only legs that pay it at least its own price at that moment: its signature is
its firm quote (``firm_legs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping, Sequence

from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction

from solroute.dex.solana.programs import associated_token_address, create_associated_token_account, memo, to_units, transfer_checked
from solroute.models.amounts import plain, quantize_down
from solroute.models.errors import PriceMoved
from solroute.models.order import RouteLeg
from solroute.models.route import Curve
from solroute.models.tokens import resolve_token
from solroute.ports import PricedVenue


@dataclass(frozen=True)
class Mint:
    address: Pubkey
    decimals: int


def hops_of(legs: Sequence[RouteLeg]) -> list[list[RouteLeg]]:
    """Consecutive legs of one token pair are one hop (a split has two legs side by side)."""
    hops: list[list[RouteLeg]] = []
    for leg in legs:
        if hops and (hops[-1][0].tokenIn, hops[-1][0].tokenOut) == (leg.tokenIn, leg.tokenOut):
            hops[-1].append(leg)
        else:
            hops.append([leg])
    return hops


def firm_legs(legs: Sequence[RouteLeg], venues: Mapping[str, PricedVenue], at_ms: int, min_amount_out: Decimal, token_out: str) -> list[RouteLeg]:
    """The legs each venue co-signs at ``at_ms``: a leg pays its quoted output, or the venue's
    own price now when that is lower (a venue never signs for more than its pool pays). A later
    hop spends what the hop before it pays. Raises PriceMoved when the route would deliver less
    than the order's minimum: nothing is signed then."""
    signed: list[RouteLeg] = []
    carried = Decimal(1)  # what the previous hop paid over what it was quoted to pay
    for index, hop in enumerate(hops_of(legs)):
        for leg in hop:
            amount_in = leg.amountIn if index == 0 else quantize_down(leg.amountIn * carried, resolve_token(leg.tokenIn).decimals)
            curve = _curve(venues, leg, at_ms)
            quoted = quantize_down(leg.amountOut * carried, resolve_token(leg.tokenOut).decimals) if index else leg.amountOut
            signed.append(leg.model_copy(update={"amountIn": amount_in, "amountOut": min(quoted, curve.out(amount_in)), "fee": amount_in * curve.fee_rate}))
        quoted_out = sum((leg.amountOut for leg in hop), Decimal(0))
        paid = sum((leg.amountOut for leg in signed[-len(hop):]), Decimal(0))
        carried = paid / quoted_out if quoted_out else Decimal(0)
    delivered = sum((leg.amountOut for leg in signed if leg.tokenOut == token_out), Decimal(0))
    if delivered < min_amount_out:
        raise PriceMoved(
            f"price moved: the venues now co-sign {plain(delivered)} {token_out} for this route, below the order's minimum "
            f"{plain(min_amount_out)}; nothing was sent"
        )
    return signed


def _curve(venues: Mapping[str, PricedVenue], leg: RouteLeg, at_ms: int) -> Curve:
    venue = venues.get(leg.dex)
    curves = venue.pools_at([(leg.tokenIn, leg.tokenOut)], at_ms) if venue is not None else []
    for curve in curves:
        if curve.pool_id == leg.poolId:
            return curve
    raise PriceMoved(f"price moved: {leg.dex} no longer quotes pool {leg.poolId}; nothing was sent")


def swap_transaction(
    order_id: str,
    legs: Sequence[RouteLeg],
    wallet: Keypair,
    fee_payer: Keypair,
    venue_keys: Mapping[str, Keypair],
    mints: Mapping[str, Mint],
    wallet_accounts: set[str],
    blockhash: Hash,
) -> Transaction:
    """The signed transaction (``venue_keys``: the owner of each leg's vaults, by pool id, else by
    venue name; ``wallet_accounts``: the mints the wallet already has a token account for; the
    others it receives into are created first, idempotently)."""
    owner = wallet.pubkey()
    instructions = []
    receiving = []
    for leg in legs:
        if leg.tokenOut not in receiving:
            receiving.append(leg.tokenOut)
    for symbol in receiving:
        if str(mints[symbol].address) not in wallet_accounts:
            instructions.append(create_associated_token_account(fee_payer.pubkey(), owner, mints[symbol].address))
    signers = {str(fee_payer.pubkey()): fee_payer, str(owner): wallet}
    for leg in legs:
        venue = venue_keys.get(leg.poolId) or venue_keys[leg.dex]
        signers.setdefault(str(venue.pubkey()), venue)
        pay, get = mints[leg.tokenIn], mints[leg.tokenOut]
        instructions.append(transfer_checked(associated_token_address(owner, pay.address), pay.address,
                                             associated_token_address(venue.pubkey(), pay.address), owner,
                                             to_units(leg.amountIn, pay.decimals), pay.decimals))  # fmt: skip
        instructions.append(transfer_checked(associated_token_address(venue.pubkey(), get.address), get.address,
                                             associated_token_address(owner, get.address), venue.pubkey(),
                                             to_units(leg.amountOut, get.decimals), get.decimals))  # fmt: skip
    instructions.append(memo(f"solroute order {order_id}"))
    message = Message.new_with_blockhash(instructions, fee_payer.pubkey(), blockhash)
    return Transaction(list(signers.values()), message, blockhash)
