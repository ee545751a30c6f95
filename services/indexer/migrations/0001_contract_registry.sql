-- The registry of indexed contracts (the seed protocol's system_contracts):
-- what the indexer follows on each chain, from which block, with which ABI.
CREATE TABLE contracts (
  chain_id      bigint      NOT NULL CHECK (chain_id > 0),
  address       bytea       NOT NULL CHECK (octet_length(address) = 20),
  name          text        NOT NULL CHECK (name <> ''),
  start_block   bigint      NOT NULL CHECK (start_block >= 0),
  abi           jsonb       NOT NULL,
  projections   text[]      NOT NULL DEFAULT '{}',
  has_code      boolean     NOT NULL DEFAULT false,
  registered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, address),
  UNIQUE (chain_id, name)
);
