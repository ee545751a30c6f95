-- Accounts a standby read (a ForceUserSync or a forced sweep there) reach
-- the sending oracle as queued requests, so the account rows need no index
-- on their check time: a sweep's update of every account then stays on its
-- page and leaves the indexes alone (HOT), with room kept on each page.
DROP INDEX users_by_checked_at_address;
ALTER TABLE users SET (fillfactor = 70);
CREATE TABLE sync_requests (
  account      bytea       PRIMARY KEY REFERENCES users (address) ON DELETE CASCADE,
  requested_at timestamptz NOT NULL DEFAULT now()
);
