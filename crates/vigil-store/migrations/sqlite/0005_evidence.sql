-- The evidence ledger is `audit_log` read as an RFC 6962 Merkle log: entry `seq` is leaf
-- `seq - 1`, hashed over the entry's RFC 8785 canonical JSON. Signed tree heads are kept here;
-- like the log, they are only ever inserted.
CREATE TABLE ledger_checkpoints (
    size        INTEGER PRIMARY KEY,
    time_ms     INTEGER NOT NULL,
    json        TEXT NOT NULL
);
CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;

-- The evidence vault's index: one row per artifact put in the vault (the bytes live under
-- `vault/sha256/` by their hash), with its scope tags as JSON. No delete path: retention
-- only marks a row purged (and removes the blob) when its retention has passed and no
-- legal hold covers it; nothing else about a row can change.
CREATE TABLE vault_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    added_ms    INTEGER NOT NULL,
    json        TEXT NOT NULL,
    purged_ms   INTEGER
);
CREATE INDEX vault_items_sha256 ON vault_items (sha256);
CREATE TRIGGER vault_items_no_delete BEFORE DELETE ON vault_items
BEGIN SELECT RAISE(ABORT, 'the evidence vault has no delete path'); END;
CREATE TRIGGER vault_items_no_rewrite BEFORE UPDATE OF id, sha256, size, added_ms, json ON vault_items
BEGIN SELECT RAISE(ABORT, 'vault items cannot be changed'); END;
CREATE TRIGGER vault_items_purge_once BEFORE UPDATE OF purged_ms ON vault_items
WHEN OLD.purged_ms IS NOT NULL OR NEW.purged_ms IS NULL
BEGIN SELECT RAISE(ABORT, 'a vault item is purged once'); END;
