-- Ingest writes fewer and cheaper rows per event, and rollbacks find what
-- they undo without scanning whole tables.

-- Stream rows keep the event exactly as the indexer rendered it: json stores
-- the text as written, where jsonb would re-encode every row. A rollback
-- copies an event's published text into its removal.
ALTER TABLE event_stream ALTER COLUMN event TYPE json USING event::json;

-- Rows are appended in block order, so a block-range (BRIN) index finds the
-- rows above a rollback's ancestor for almost nothing per insert.
CREATE INDEX event_stream_by_block ON event_stream USING brin (chain_id, block_number);
CREATE INDEX balance_history_by_block ON balance_history USING brin (chain_id, block_number);
CREATE INDEX activity_by_block ON activity USING brin (chain_id, block_number);

-- The primary key (chain_id, account, block_number, log_index, ...) already
-- serves an account's activity newest first.
DROP INDEX activity_by_account;

-- A balance changes in place, without touching its indexes (a HOT update),
-- when its page has room for the new version.
ALTER TABLE token_balances SET (fillfactor = 70);
