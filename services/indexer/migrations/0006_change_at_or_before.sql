-- change_at_or_before is a holder's last balance change of a token at or
-- before a block: the balance it left and the block it was in (no row
-- before the first). A query of balances at a block reads a holder's
-- current row, and this where the row changed after the block. A single
-- SELECT, so that the planner inlines it like the subquery it replaces.
CREATE FUNCTION change_at_or_before(chain bigint, of_token bytea,
                                    of_holder bytea, at_block bigint)
RETURNS TABLE (balance numeric, block_number bigint)
LANGUAGE sql STABLE AS $$
  SELECT a.balance, a.block_number FROM indexer.activity a
  WHERE a.chain_id = chain AND a.token = of_token AND a.account = of_holder
    AND a.balance IS NOT NULL AND a.block_number <= at_block
  ORDER BY a.block_number DESC, a.log_index DESC, a.direction DESC
  LIMIT 1
$$;
