-- Balance disputes filed by users: filed -> validating -> resolved/rejected.
CREATE TABLE balance_disputes (
  dispute_id            uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
  address               bytea         NOT NULL CHECK (octet_length(address) = 20),
  status                text          NOT NULL DEFAULT 'filed'
                          CHECK (status IN ('filed', 'validating', 'resolved', 'rejected')),
  claimed_balance_sats  numeric(78,0) NOT NULL CHECK (claimed_balance_sats >= 0),
  recorded_balance_sats numeric(78,0),
  verified_balance_sats numeric(78,0),
  reason                text          NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
  bitcoin_address       text,
  resolution            text,
  resolution_tx_hash    bytea         CHECK (octet_length(resolution_tx_hash) = 32),
  created_at            timestamptz   NOT NULL DEFAULT now(),
  updated_at            timestamptz   NOT NULL DEFAULT now(),
  resolved_at           timestamptz,
  CHECK ((status IN ('resolved', 'rejected')) = (resolved_at IS NOT NULL))
);

CREATE INDEX balance_disputes_by_address ON balance_disputes (address, created_at DESC);
