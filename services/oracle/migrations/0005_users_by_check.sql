-- The sending oracle finds the accounts read since it last looked (by any
-- replica) in the order they were read.
CREATE INDEX users_by_checked_at ON users (checked_at);
