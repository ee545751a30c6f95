-- Ownership proofs are single use: the hash of every accepted message is
-- kept, so that a message captured once cannot register an address again.
CREATE TABLE used_proofs (
  message_sha256  bytea       PRIMARY KEY CHECK (octet_length(message_sha256) = 32),
  bitcoin_address text        NOT NULL,
  user_address    bytea       NOT NULL,
  used_at         timestamptz NOT NULL DEFAULT now()
);

-- Profile fields are personal data: stored sealed with AES-256-GCM under the
-- key named by *_key_id (so that keys can be rotated), the nonce beside the
-- ciphertext (which ends with the tag). NULL when not given.
ALTER TABLE users
  ADD COLUMN email_key_id     text,
  ADD COLUMN email_nonce      bytea,
  ADD COLUMN email_ciphertext bytea,
  ADD CONSTRAINT users_email_sealed CHECK (
    (email_key_id IS NULL) = (email_ciphertext IS NULL) AND
    (email_nonce IS NULL) = (email_ciphertext IS NULL));

ALTER TABLE bitcoin_addresses
  ADD COLUMN label_key_id     text,
  ADD COLUMN label_nonce      bytea,
  ADD COLUMN label_ciphertext bytea,
  ADD COLUMN registered_seq   bigserial,
  ADD CONSTRAINT bitcoin_addresses_label_sealed CHECK (
    (label_key_id IS NULL) = (label_ciphertext IS NULL) AND
    (label_nonce IS NULL) = (label_ciphertext IS NULL));

-- Lists page by registration order.
CREATE UNIQUE INDEX bitcoin_addresses_by_user_seq
  ON bitcoin_addresses (user_address, registered_seq);
DROP INDEX bitcoin_addresses_by_user;
