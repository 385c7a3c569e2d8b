"""What a transaction's accounts hold, read before and after it runs: getTransaction's
preBalances / postBalances (lamports, one per account key) and preTokenBalances /
postTokenBalances (one per account key that is a token account at that moment)."""

from __future__ import annotations

from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey

from localcloud.services.solana.constants import TOKEN_PROGRAMS
from localcloud.services.solana.token_state import Mint, parse_mint, parse_token_account, ui_token_amount


def read_mint(svm: LiteSVM, address: Pubkey) -> Mint | None:
    account = svm.get_account(address)
    if account is None or account.owner not in TOKEN_PROGRAMS:
        return None
    return parse_mint(bytes(account.data))


def snapshot(svm: LiteSVM, keys: list[Pubkey]) -> tuple[list[int], list[dict]]:
    lamports, tokens = [], []
    for index, key in enumerate(keys):
        account = svm.get_account(key)
        lamports.append(account.lamports if account else 0)
        if account is None or account.owner not in TOKEN_PROGRAMS:
            continue
        token = parse_token_account(bytes(account.data))
        mint = read_mint(svm, token.mint) if token else None
        if token is None or mint is None:
            continue
        tokens.append(
            {
                "accountIndex": index,
                "mint": str(token.mint),
                "owner": str(token.owner),
                "programId": str(account.owner),
                "uiTokenAmount": ui_token_amount(token.amount, mint.decimals),
            }
        )
    return lamports, tokens
