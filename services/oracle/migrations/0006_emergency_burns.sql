-- Emergency burns an admin asked for. Any replica records the request; the
-- sending oracle journals the burn and links it here in the same
-- transaction, so that a request is burned once.
CREATE TABLE burn_requests (
  id           bigserial   PRIMARY KEY,
  user_address bytea       NOT NULL CHECK (octet_length(user_address) = 20),
  reason       text        NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  operation_id bigint      REFERENCES operations (id)
);

CREATE INDEX burn_requests_open ON burn_requests (id) WHERE operation_id IS NULL;

-- The reason an emergency burn carries on chain.
ALTER TABLE operations ADD COLUMN burn_reason text;

-- What a mined operation burned of an account's rBTC: an emergency burn, or
-- a sync whose fee the account could not pay (the contract burns instead).
ALTER TABLE operation_items ADD COLUMN burned_sats numeric(78,0);
