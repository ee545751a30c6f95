-- The audit of the reconciler's repairs: what it did, why (the rule and
-- what failed it), in which run, and how it ended. A subject is repaired
-- again only after the repair backoff, so repairs never loop.
CREATE TABLE repairs (
  id       bigserial   PRIMARY KEY,
  run_id   bigint      NOT NULL REFERENCES runs (id),
  rule     text        NOT NULL,
  subject  text        NOT NULL,
  action   text        NOT NULL,
  reason   text        NOT NULL,
  outcome  text        NOT NULL CHECK (outcome IN ('done', 'failed')),
  made_at  timestamptz NOT NULL
);
CREATE INDEX repairs_by_subject ON repairs (rule, subject, made_at);
