-- The sending oracle pages through the accounts read since it last looked
-- by (checked_at, address): a sweep stores a whole batch at one time, and a
-- page that ended inside the batch would skip the rest of it if the time
-- alone were the cursor.
DROP INDEX users_by_checked_at;
CREATE INDEX users_by_checked_at_address ON users (checked_at, address);
