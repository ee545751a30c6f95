-- Ingest writes fewer and cheaper rows per event.

-- Stream rows keep the event exactly as the indexer rendered it: json stores
-- the text as written, where jsonb would re-encode every row. A rollback
-- copies an event's published text into its removal.
ALTER TABLE event_stream ALTER COLUMN event TYPE json USING event::json;
-- Rollbacks find the stream rows of the blocks they undo.
CREATE INDEX event_stream_by_block ON event_stream (chain_id, block_number);

-- The primary key (chain_id, account, block_number, log_index, ...) already
-- serves an account's activity newest first.
DROP INDEX activity_by_account;

-- A balance changes in place, without touching its indexes (a HOT update),
-- when its page has room for the new version.
ALTER TABLE token_balances SET (fillfactor = 70);
