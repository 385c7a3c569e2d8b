from tests.support.solana_validator import chain, rpc, solana_rpc, swap_setup  # noqa: F401 - the fixtures these tests use
