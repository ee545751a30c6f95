-- ListOperations pages items by (operation, item), newest first: an index
-- in that order starts each page where the last ended, instead of joining
-- and sorting every item above it (a journal of 100,000 items read whole
-- went from O(n^2) to O(n)). It serves lookups by operation as the old one
-- did.
CREATE INDEX operation_items_by_operation_item
  ON operation_items (operation_id, id);
DROP INDEX operation_items_by_operation;
