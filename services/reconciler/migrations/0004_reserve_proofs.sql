-- Proofs of reserves: each proof's totals and root; its Merkle sum tree one
-- row per level, the level's nodes packed (a 32-byte hash and an 8-byte
-- big-endian sum each, padding included) and stored uncompressed out of
-- line, so that reading a path takes 40 bytes of each level and not the
-- level; and each account's leaf: its position and salt.
CREATE TABLE reserve_proofs (
  id               bigserial     PRIMARY KEY,
  made_at          timestamptz   NOT NULL,
  block_number     bigint        NOT NULL CHECK (block_number >= 0),
  bitcoin_tip      bigint        NOT NULL CHECK (bitcoin_tip >= 0),
  reserves_sats    numeric(78,0) NOT NULL CHECK (reserves_sats >= 0),
  liabilities_sats numeric(78,0) NOT NULL CHECK (liabilities_sats >= 0),
  account_count    bigint        NOT NULL CHECK (account_count >= 0),
  root_hash        bytea         NOT NULL CHECK (octet_length(root_hash) = 32),
  root_sum         numeric(78,0) NOT NULL CHECK (root_sum >= 0),
  levels           integer       NOT NULL CHECK (levels >= 1)
);

CREATE TABLE reserve_proof_levels (
  proof_id bigint  NOT NULL REFERENCES reserve_proofs (id) ON DELETE CASCADE,
  level    integer NOT NULL CHECK (level >= 0),
  nodes    bytea   NOT NULL CHECK (octet_length(nodes) % 40 = 0),
  PRIMARY KEY (proof_id, level)
);
ALTER TABLE reserve_proof_levels ALTER COLUMN nodes SET STORAGE EXTERNAL;

CREATE TABLE reserve_proof_leaves (
  proof_id bigint NOT NULL REFERENCES reserve_proofs (id) ON DELETE CASCADE,
  account  bytea  NOT NULL CHECK (octet_length(account) = 20),
  position bigint NOT NULL CHECK (position >= 0),
  salt     bytea  NOT NULL CHECK (octet_length(salt) = 32),
  PRIMARY KEY (proof_id, account)
);
