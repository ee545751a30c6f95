-- What the last read of each address and account found. An account whose
-- read failed keeps its last whole total, marked stale with the reason: an
-- error is never taken for a zero balance.
ALTER TABLE bitcoin_addresses
  ADD COLUMN confirmed_sats bigint,
  ADD COLUMN pending_sats   bigint,
  ADD COLUMN checked_at     timestamptz,
  ADD COLUMN check_error    text;

ALTER TABLE users
  ADD COLUMN bitcoin_sats         bigint,
  ADD COLUMN pending_sats         bigint,
  ADD COLUMN checked_at           timestamptz,
  ADD COLUMN checked_tip          bigint,
  ADD COLUMN stale_reason         text,
  ADD COLUMN stale_since          timestamptz,
  ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0;

-- The background sweep's switch and configuration: one row, kept across
-- restarts and shared by every replica.
CREATE TABLE sweep_config (
  id                   boolean     PRIMARY KEY DEFAULT true CHECK (id),
  running              boolean     NOT NULL,
  interval_ms          bigint      NOT NULL CHECK (interval_ms >= 1000),
  max_concurrent_users integer     NOT NULL CHECK (max_concurrent_users >= 1),
  batch_size           integer     NOT NULL CHECK (batch_size >= 1),
  retry_attempts       integer     NOT NULL CHECK (retry_attempts >= 1),
  retry_delay_ms       bigint      NOT NULL CHECK (retry_delay_ms >= 0),
  batch_pause_ms       bigint      NOT NULL CHECK (batch_pause_ms >= 0),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
