-- Each event is stored once and each balance change once: ingest writes
-- three rows for a transfer instead of seven.
--
-- * events absorbs the raw log (logs) and its place in the stream
--   (event_stream): the stream's sequence is a column of the event.
-- * removed_events keeps what a reorg withdrew: each row is an event as it
--   was published and, under removal_sequence, its removal.
-- * event_stream becomes a view of both, so that a subscriber still reads
--   one relation by sequence.
-- * activity absorbs balance_history: a row that moves a balance carries
--   the balance after it.
-- Data indexed before is carried over.

CREATE SEQUENCE stream_sequence;
SELECT setval('stream_sequence', coalesce(max(sequence), 0) + 1, false)
FROM event_stream;

ALTER TABLE events
  ADD COLUMN block_hash        bytea,
  ADD COLUMN transaction_hash  bytea,
  ADD COLUMN transaction_index integer,
  ADD COLUMN topics            bytea[],
  ADD COLUMN data              bytea,
  ADD COLUMN block_time        timestamptz,
  ADD COLUMN sequence          bigint;
UPDATE events e SET block_hash = l.block_hash,
  transaction_hash = l.transaction_hash,
  transaction_index = l.transaction_index, topics = l.topics, data = l.data
FROM logs l
WHERE (l.chain_id, l.block_number, l.log_index) =
      (e.chain_id, e.block_number, e.log_index);
UPDATE events e SET block_time = b.block_time
FROM blocks b WHERE b.chain_id = e.chain_id AND b.number = e.block_number;
-- A stored event's sequence is its position's latest publication.
UPDATE events e SET sequence = s.sequence
FROM (SELECT DISTINCT ON (chain_id, block_number, log_index) chain_id,
        block_number, log_index, sequence
      FROM event_stream WHERE NOT removed
      ORDER BY chain_id, block_number, log_index, sequence DESC) s
WHERE (s.chain_id, s.block_number, s.log_index) =
      (e.chain_id, e.block_number, e.log_index);
UPDATE events SET sequence = nextval('stream_sequence') WHERE sequence IS NULL;
ALTER TABLE events
  ALTER COLUMN block_hash SET NOT NULL,
  ALTER COLUMN transaction_hash SET NOT NULL,
  ALTER COLUMN transaction_index SET NOT NULL,
  ALTER COLUMN topics SET NOT NULL,
  ALTER COLUMN data SET NOT NULL,
  ALTER COLUMN block_time SET NOT NULL,
  ALTER COLUMN sequence SET NOT NULL,
  ALTER COLUMN sequence SET DEFAULT nextval('stream_sequence');
CREATE UNIQUE INDEX events_by_sequence ON events (sequence);

CREATE TABLE removed_events (
  removal_sequence  bigint      PRIMARY KEY DEFAULT nextval('stream_sequence'),
  sequence          bigint      NOT NULL UNIQUE,
  chain_id          bigint      NOT NULL,
  block_number      bigint      NOT NULL,
  log_index         integer     NOT NULL,
  block_hash        bytea       NOT NULL,
  transaction_hash  bytea       NOT NULL,
  transaction_index integer     NOT NULL,
  contract_address  bytea       NOT NULL,
  contract_name     text        NOT NULL,
  event_name        text,
  signature         text,
  args              jsonb,
  accounts          bytea[]     NOT NULL,
  decode_error      text,
  block_time        timestamptz NOT NULL
);
-- Each removal row of the old stream pairs with the publication before it
-- at the same position.
INSERT INTO removed_events
SELECT r.sequence, p.sequence, p.chain_id, p.block_number, p.log_index,
  decode(substr(p.event->>'block_hash', 3), 'hex'),
  decode(substr(p.event->>'transaction_hash', 3), 'hex'),
  (p.event->>'transaction_index')::integer,
  decode(substr(p.event->>'contract_address', 3), 'hex'),
  p.event->>'contract_name', p.event->>'event_name', p.event->>'signature',
  (p.event->'args')::jsonb,
  ARRAY(SELECT decode(substr(a, 3), 'hex')
        FROM json_array_elements_text(p.event->'accounts') a),
  p.event->>'decode_error', (p.event->>'block_time')::timestamptz
FROM event_stream r
CROSS JOIN LATERAL (
  SELECT * FROM event_stream p
  WHERE (p.chain_id, p.block_number, p.log_index) =
        (r.chain_id, r.block_number, r.log_index)
    AND p.sequence < r.sequence AND NOT p.removed
  ORDER BY p.sequence DESC LIMIT 1) p
WHERE r.removed;

DROP TABLE event_stream;
DROP TABLE logs;

-- The stream: every event published, in sequence order, each removal after
-- its event. A reader's `WHERE sequence > $1 ORDER BY sequence` reaches each
-- branch's index.
CREATE VIEW event_stream AS
  SELECT sequence, false AS removed, chain_id, block_number, log_index,
    block_hash, transaction_hash, transaction_index, contract_address,
    contract_name, event_name, signature, args, accounts, decode_error,
    block_time
  FROM events
  UNION ALL
  SELECT sequence, false, chain_id, block_number, log_index, block_hash,
    transaction_hash, transaction_index, contract_address, contract_name,
    event_name, signature, args, accounts, decode_error, block_time
  FROM removed_events
  UNION ALL
  SELECT removal_sequence, true, chain_id, block_number, log_index,
    block_hash, transaction_hash, transaction_index, contract_address,
    contract_name, event_name, signature, args, accounts, decode_error,
    block_time
  FROM removed_events;

-- A transfer's two activity rows are its two balance changes.
ALTER TABLE activity ADD COLUMN balance numeric(78,0) CHECK (balance >= 0);
UPDATE activity a SET balance = h.balance
FROM balance_history h
WHERE a.kind IN ('mint', 'burn', 'transfer') AND h.chain_id = a.chain_id
  AND h.token = a.token AND h.holder = a.account
  AND h.block_number = a.block_number AND h.log_index = a.log_index
  AND (h.delta < 0) = (a.direction = 'out');
DROP TABLE balance_history;

-- Autovacuum analyzes these tables while a backfill fills them. No query
-- filters or joins on the raw and rendered columns, so sampling them (and
-- sorting arrays of byte strings) buys the planner nothing.
ALTER TABLE events
  ALTER COLUMN block_hash SET STATISTICS 0,
  ALTER COLUMN transaction_hash SET STATISTICS 0,
  ALTER COLUMN topics SET STATISTICS 0,
  ALTER COLUMN data SET STATISTICS 0,
  ALTER COLUMN args SET STATISTICS 0,
  ALTER COLUMN accounts SET STATISTICS 0,
  ALTER COLUMN signature SET STATISTICS 0,
  ALTER COLUMN decode_error SET STATISTICS 0;
ALTER TABLE activity
  ALTER COLUMN transaction_hash SET STATISTICS 0,
  ALTER COLUMN counterparty SET STATISTICS 0,
  ALTER COLUMN details SET STATISTICS 0,
  ALTER COLUMN amount SET STATISTICS 0,
  ALTER COLUMN balance SET STATISTICS 0;
