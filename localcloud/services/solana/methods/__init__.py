"""The JSON-RPC methods the local validator answers, by name: each a function of the validator
and the call's raw params, returning the result (or raising RpcError)."""

from localcloud.services.solana.methods import accounts, admin, cluster, transactions

METHODS = {**cluster.METHODS, **accounts.METHODS, **transactions.METHODS, **admin.METHODS}

__all__ = ["METHODS"]
