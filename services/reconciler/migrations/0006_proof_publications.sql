-- Where each proof's root was published on chain: the ReserveProofs
-- contract, the transaction and its block. NULL until published.
ALTER TABLE reserve_proofs
  ADD COLUMN published_contract bytea CHECK (octet_length(published_contract) = 20),
  ADD COLUMN published_tx       bytea CHECK (octet_length(published_tx) = 32),
  ADD COLUMN published_block    bigint;
