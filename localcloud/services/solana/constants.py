"""Solana's numbers the local validator keeps, each with where it comes from.

The RPC shapes and error codes are Agave's (the validator client behind api.mainnet-beta.solana.com),
as documented at https://solana.com/docs/rpc and typed by solders.rpc.responses."""

from solders.pubkey import Pubkey

# "Solana's slot time is 400 ms" (the target; https://solana.com/docs/references/terminology#slot).
DEFAULT_SLOT_MS = 400

# A transaction's recent blockhash must be one of the last 150 blocks' (MAX_PROCESSING_AGE), so
# getLatestBlockhash answers lastValidBlockHeight = the blockhash's block height + 150.
# https://solana.com/docs/advanced/confirmation#how-does-transaction-expiration-work
MAX_PROCESSING_AGE = 150

# A block is rooted (finalized) once 31+ confirmed blocks are built on it (MAX_LOCKOUT_HISTORY);
# about 32 slots after it was confirmed. getSignatureStatuses counts confirmations up to that.
FINALIZE_AFTER_SLOTS = 32
MAX_CONFIRMATIONS = 31

# The seed's settlement time (template.yaml's SwapDelayMinMs / SwapDelayMaxMs defaults): how long
# a landed transaction stays `processed` before the cluster votes it `confirmed`.
DEFAULT_CONFIRM_MIN_MS = 2000
DEFAULT_CONFIRM_MAX_MS = 3000

# getSignatureStatuses: "An array of transaction signatures to confirm ... (up to a maximum of 256)".
MAX_SIGNATURES_PER_STATUS_REQUEST = 256
# sendTransaction: a packet is at most 1232 bytes (PACKET_DATA_SIZE).
MAX_TRANSACTION_BYTES = 1232

# What getVersion answers: the Agave release whose RPC this emulates (LiteSVM 0.6 runs its SVM).
SOLANA_CORE_VERSION = "2.2.0"
FEATURE_SET = 3294202862

# The faucet requestAirdrop pays from (solana-test-validator's faucet holds 500 million SOL).
FAUCET_LAMPORTS = 500_000_000 * 1_000_000_000
LAMPORTS_PER_SOL = 1_000_000_000

SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EFLG5pB7ipAqzEvS3xHE")
TOKEN_PROGRAMS = frozenset({TOKEN_PROGRAM, TOKEN_2022_PROGRAM})
ASSOCIATED_TOKEN_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
MEMO_PROGRAM = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")

# Account sizes of the SPL Token program's state (spl-token's state.rs: Mint::LEN, Account::LEN).
MINT_SIZE = 82
TOKEN_ACCOUNT_SIZE = 165

# The status cache getSignatureStatuses asks without searchTransactionHistory keeps a signature
# for the 300 slots of MAX_RECENT_BLOCKHASHES (Agave's status_cache MAX_CACHE_ENTRIES).
STATUS_CACHE_SLOTS = 300
