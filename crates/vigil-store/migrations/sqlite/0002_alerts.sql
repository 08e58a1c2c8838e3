-- Alerts raised while ingesting: one row per alert id (content-derived, so a rule firing again
-- on the same events is the same alert). `json` holds the whole alert record.
CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    rule_id     TEXT NOT NULL,
    rule_title  TEXT NOT NULL,
    level       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    time_ms     INTEGER,
    created_ms  INTEGER NOT NULL,
    json        TEXT NOT NULL
);
CREATE INDEX alerts_time ON alerts (time_ms);
CREATE INDEX alerts_rule ON alerts (rule_id);
