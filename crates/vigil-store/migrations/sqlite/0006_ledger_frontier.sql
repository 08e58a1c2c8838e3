-- The ledger's Merkle frontier: for a log of `size` entries, the roots of the perfect subtrees
-- it decomposes into (RFC 6962 compact range, one 32-byte hash per set bit of `size`, largest
-- first, concatenated in `nodes`). One row is kept per signed checkpoint, so the tree head is
-- extended from the last one with the entries appended since, in O(log n), instead of reading
-- the whole log. A cache of what the entries hash to: `vigil audit verify` recomputes it.
CREATE TABLE ledger_frontier (
    size        INTEGER PRIMARY KEY,
    nodes       BLOB NOT NULL
);
CREATE TRIGGER ledger_frontier_no_update BEFORE UPDATE ON ledger_frontier
BEGIN SELECT RAISE(ABORT, 'ledger frontiers are append-only'); END;
CREATE TRIGGER ledger_frontier_no_delete BEFORE DELETE ON ledger_frontier
BEGIN SELECT RAISE(ABORT, 'ledger frontiers are append-only'); END;
