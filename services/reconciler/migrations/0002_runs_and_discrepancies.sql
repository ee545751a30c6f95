-- Reconciliation runs, the health they scored, and the discrepancies the
-- rules found. A discrepancy is open while its rule keeps failing for its
-- subject; the run that no longer finds it resolves it (or a repair marks it
-- repaired). At most one open discrepancy per rule and subject.
CREATE TABLE runs (
  id               bigserial        PRIMARY KEY,
  started_at       timestamptz      NOT NULL,
  finished_at      timestamptz      NOT NULL,
  block_number     bigint           NOT NULL CHECK (block_number >= 0),
  accounts_checked bigint           NOT NULL CHECK (accounts_checked >= 0),
  found            bigint           NOT NULL CHECK (found >= 0),
  repaired         bigint           NOT NULL CHECK (repaired >= 0),
  health_score     double precision NOT NULL CHECK (health_score BETWEEN 0 AND 100)
);

CREATE TABLE run_components (
  run_id    bigint           NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position  integer          NOT NULL,
  component text             NOT NULL,
  weight    double precision NOT NULL CHECK (weight BETWEEN 0 AND 1),
  score     double precision NOT NULL CHECK (score BETWEEN 0 AND 100),
  checked   bigint           NOT NULL CHECK (checked >= 0),
  failing   bigint           NOT NULL CHECK (failing >= 0),
  detail    text             NOT NULL,
  PRIMARY KEY (run_id, position)
);

CREATE TABLE discrepancies (
  id            bigserial   PRIMARY KEY,
  rule          text        NOT NULL,
  kind          text        NOT NULL,
  severity      text        NOT NULL CHECK (severity IN ('warning', 'critical')),
  subject       text        NOT NULL,
  account       bytea       CHECK (octet_length(account) = 20),
  contract      bytea       CHECK (octet_length(contract) = 20),
  chain_value   text        NOT NULL DEFAULT '',
  indexer_value text        NOT NULL DEFAULT '',
  oracle_value  text        NOT NULL DEFAULT '',
  block_number  bigint      NOT NULL CHECK (block_number >= 0),
  detail        text        NOT NULL,
  -- A transient difference not yet old enough to count.
  settling      boolean     NOT NULL,
  status        text        NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'repaired', 'resolved')),
  repair_action text,
  first_seen    timestamptz NOT NULL,
  last_seen     timestamptz NOT NULL,
  times_seen    bigint      NOT NULL DEFAULT 1 CHECK (times_seen >= 1),
  last_run      bigint      NOT NULL REFERENCES runs (id),
  resolved_at   timestamptz,
  CHECK ((status = 'open') = (resolved_at IS NULL))
);

CREATE UNIQUE INDEX discrepancies_open ON discrepancies (rule, subject)
  WHERE status = 'open';
CREATE INDEX discrepancies_by_account ON discrepancies (account, id)
  WHERE account IS NOT NULL;
