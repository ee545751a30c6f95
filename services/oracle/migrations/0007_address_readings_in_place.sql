-- An address is read with its account, so the account's checked_at is the
-- address's too; an address row is written only when its reading changed.
-- Room on each page keeps those updates in place (no index entries, no
-- bloat from a sweep).
ALTER TABLE bitcoin_addresses DROP COLUMN checked_at;
ALTER TABLE bitcoin_addresses SET (fillfactor = 70);
