-- The operations log: every on-chain action, journaled with its nonce and
-- its signed transaction before it is broadcast, so that a crash at any
-- instant leaves a row that says what was sent and can be sent again as the
-- very same bytes. A replacement (a fee bump) is a row of its own with the
-- same nonce, naming the row it replaces.
CREATE TABLE operations (
  id                       bigserial     PRIMARY KEY,
  kind                     text          NOT NULL CHECK (kind IN ('sync', 'emergency_burn')),
  state                    text          NOT NULL CHECK (state IN ('planned', 'broadcast', 'mined', 'confirmed', 'failed', 'replaced')),
  nonce                    bigint        NOT NULL CHECK (nonce >= 0),
  tx_hash                  bytea         NOT NULL UNIQUE CHECK (octet_length(tx_hash) = 32),
  raw_tx                   bytea         NOT NULL,
  max_fee_per_gas          numeric(78,0) NOT NULL,
  max_priority_fee_per_gas numeric(78,0) NOT NULL,
  replaces                 bigint        REFERENCES operations (id),
  block_number             bigint,
  block_hash               bytea,
  reason                   text,
  error                    text,
  created_at               timestamptz   NOT NULL DEFAULT now(),
  updated_at               timestamptz   NOT NULL DEFAULT now(),
  broadcast_at             timestamptz
);

CREATE INDEX operations_open ON operations (nonce)
  WHERE state IN ('planned', 'broadcast', 'mined');

-- What an operation does, one row per account: a sync of one or a batch of
-- accounts, or an emergency burn.
CREATE TABLE operation_items (
  id            bigserial     PRIMARY KEY,
  operation_id  bigint        NOT NULL REFERENCES operations (id),
  user_address  bytea         NOT NULL CHECK (octet_length(user_address) = 20),
  previous_sats numeric(78,0) NOT NULL,
  new_sats      numeric(78,0) NOT NULL,
  fee_wei       numeric(78,0) NOT NULL
);

CREATE INDEX operation_items_by_operation ON operation_items (operation_id);
CREATE INDEX operation_items_by_user ON operation_items (user_address, operation_id);
