-- Triage and cases. Documents are JSON records of one kind, found by id: `incident` (rebuilt by
-- each triage run), `case`, `override` (a person's merge or split), `suppression`, `model`
-- (triage models; `active` marks the one in use), `inventory`.
CREATE TABLE documents (
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    updated_ms  INTEGER NOT NULL,
    json        TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX documents_kind_updated ON documents (kind, updated_ms);

-- Every action of a person, the automation or the model: who, what, on what, when, with what
-- result. Rows are only ever inserted.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms       INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    result      TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
