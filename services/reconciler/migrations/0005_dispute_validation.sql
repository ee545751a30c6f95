-- Disputes are validated by a worker on any replica: a lease says who works
-- on one, attempts and the next attempt pace retries when the Bitcoin API
-- or the chain cannot be read, and the corrective sync's operation is kept.
-- Every change of state is kept in dispute_transitions with its time.
ALTER TABLE balance_disputes
  ADD COLUMN operation_id       bigint,
  ADD COLUMN bitcoin_tip_height bigint,
  ADD COLUMN attempts           integer     NOT NULL DEFAULT 0,
  ADD COLUMN last_error         text,
  ADD COLUMN next_attempt_at    timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN lease_until        timestamptz,
  ADD COLUMN sync_requested_at  timestamptz;

-- One open dispute per account: a second one is refused while the first
-- is being looked at.
CREATE UNIQUE INDEX balance_disputes_one_open ON balance_disputes (address)
  WHERE status IN ('filed', 'validating');

-- The worker's queue.
CREATE INDEX balance_disputes_due ON balance_disputes (next_attempt_at)
  WHERE status IN ('filed', 'validating');

CREATE TABLE dispute_transitions (
  dispute_id uuid        NOT NULL REFERENCES balance_disputes (dispute_id),
  status     text        NOT NULL,
  note       text        NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX dispute_transitions_by_dispute
  ON dispute_transitions (dispute_id, at);
