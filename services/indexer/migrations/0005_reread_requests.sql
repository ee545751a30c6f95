-- Requests to read a chain again from a block (RereadBlocks): made on any
-- replica, taken by the process holding the chain's writer lock between two
-- batches. One pending request a chain; another lowers its block.
CREATE TABLE reread_requests (
  id              bigserial   PRIMARY KEY,
  chain_id        bigint      NOT NULL CHECK (chain_id > 0),
  from_block      bigint      NOT NULL CHECK (from_block > 0),
  reason          text        NOT NULL CHECK (reason <> ''),
  requested_at    timestamptz NOT NULL DEFAULT now(),
  -- Set when the chain was rolled back: to which block, removing how many
  -- events. The blocks above are then indexed again like any others.
  done_at         timestamptz,
  rolled_back_to  bigint,
  events_removed  bigint
);
CREATE UNIQUE INDEX reread_requests_pending ON reread_requests (chain_id)
  WHERE done_at IS NULL;
