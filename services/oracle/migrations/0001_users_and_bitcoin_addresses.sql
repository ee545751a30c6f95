-- Accounts the oracle mirrors, and the Bitcoin addresses they proved they
-- own. An address belongs to one account at a time.
CREATE TABLE users (
  address       bytea       PRIMARY KEY CHECK (octet_length(address) = 20),
  sync_enabled  boolean     NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bitcoin_addresses (
  bitcoin_address text        PRIMARY KEY,
  user_address    bytea       NOT NULL REFERENCES users (address),
  network         text        NOT NULL CHECK (network IN ('mainnet', 'testnet', 'regtest')),
  address_type    text        NOT NULL CHECK (address_type IN ('p2pkh', 'p2sh', 'p2wpkh', 'p2wsh', 'p2tr')),
  proof_kind      text        NOT NULL CHECK (proof_kind IN ('legacy', 'bip322_simple')),
  signed_message  text        NOT NULL,
  signature       text        NOT NULL,
  verified_at     timestamptz NOT NULL DEFAULT now(),
  monitored       boolean     NOT NULL DEFAULT true
);

CREATE INDEX bitcoin_addresses_by_user ON bitcoin_addresses (user_address);
