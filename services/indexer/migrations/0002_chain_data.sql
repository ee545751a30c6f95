-- What the indexer writes per batch, in one transaction with the cursor.
-- Addresses and hashes are bytea; amounts numeric(78,0) (uint256).

-- The chain cursor: the last block whose data is committed.
CREATE TABLE chains (
  chain_id        bigint      PRIMARY KEY CHECK (chain_id > 0),
  indexed_block   bigint      NOT NULL CHECK (indexed_block >= -1),
  indexed_hash    bytea       CHECK (octet_length(indexed_hash) = 32),
  finalized_block bigint      NOT NULL DEFAULT -1,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Every indexed block, so that a new block can be linked to its parent and
-- a reorg found.
CREATE TABLE blocks (
  chain_id    bigint      NOT NULL,
  number      bigint      NOT NULL,
  hash        bytea       NOT NULL CHECK (octet_length(hash) = 32),
  parent_hash bytea       NOT NULL CHECK (octet_length(parent_hash) = 32),
  block_time  timestamptz NOT NULL,
  PRIMARY KEY (chain_id, number)
);

-- Raw logs of the indexed contracts, as the node returned them.
CREATE TABLE logs (
  chain_id          bigint  NOT NULL,
  block_number      bigint  NOT NULL,
  log_index         integer NOT NULL,
  block_hash        bytea   NOT NULL,
  transaction_hash  bytea   NOT NULL,
  transaction_index integer NOT NULL,
  address           bytea   NOT NULL,
  topics            bytea[] NOT NULL,
  data              bytea   NOT NULL,
  PRIMARY KEY (chain_id, block_number, log_index)
);

-- Decoded events; a log that does not match its ABI keeps the reason in
-- decode_error and no arguments.
CREATE TABLE events (
  chain_id         bigint  NOT NULL,
  block_number     bigint  NOT NULL,
  log_index        integer NOT NULL,
  contract_address bytea   NOT NULL,
  contract_name    text    NOT NULL,
  event_name       text,
  signature        text,
  args             jsonb,
  accounts         bytea[] NOT NULL DEFAULT '{}',
  decode_error     text,
  PRIMARY KEY (chain_id, block_number, log_index),
  CHECK ((decode_error IS NULL) = (args IS NOT NULL))
);
CREATE INDEX events_by_contract ON events (contract_address, event_name, chain_id, block_number, log_index);

-- The resumable stream: every event as it was published, and every removal
-- by a reorg, with a strictly increasing sequence. Rows are never changed,
-- so a subscriber resuming after sequence N replays exactly what it missed.
CREATE TABLE event_stream (
  sequence     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  chain_id     bigint      NOT NULL,
  block_number bigint      NOT NULL,
  log_index    integer     NOT NULL,
  removed      boolean     NOT NULL,
  event        jsonb       NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now()
);

-- Current token balances, and a history row at every change.
CREATE TABLE token_balances (
  chain_id          bigint        NOT NULL,
  token             bytea         NOT NULL,
  holder            bytea         NOT NULL,
  balance           numeric(78,0) NOT NULL CHECK (balance >= 0),
  last_change_block bigint        NOT NULL,
  PRIMARY KEY (chain_id, token, holder)
);
CREATE INDEX token_balances_by_holder ON token_balances (holder, chain_id);

CREATE TABLE balance_history (
  chain_id     bigint        NOT NULL,
  token        bytea         NOT NULL,
  holder       bytea         NOT NULL,
  block_number bigint        NOT NULL,
  log_index    integer       NOT NULL,
  delta        numeric(78,0) NOT NULL,
  balance      numeric(78,0) NOT NULL CHECK (balance >= 0),
  PRIMARY KEY (chain_id, token, holder, block_number, log_index)
);

-- Per-account history (mint, burn, transfer, sync, emergency burn, wrap,
-- unwrap, yield, fee), newest first by account.
CREATE TABLE activity (
  chain_id         bigint        NOT NULL,
  account          bytea         NOT NULL,
  block_number     bigint        NOT NULL,
  log_index        integer       NOT NULL,
  kind             text          NOT NULL,
  direction        text          NOT NULL CHECK (direction IN ('in', 'out', 'none')),
  token            bytea,
  amount           numeric(78,0),
  counterparty     bytea,
  transaction_hash bytea         NOT NULL,
  block_time       timestamptz   NOT NULL,
  details          jsonb         NOT NULL DEFAULT '{}',
  PRIMARY KEY (chain_id, account, block_number, log_index, kind, direction)
);
CREATE INDEX activity_by_account ON activity (account, block_number DESC, log_index DESC);
