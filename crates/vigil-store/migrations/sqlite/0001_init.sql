-- Ingest runs: one row per `vigil ingest` (or pipeline) run.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    started_at  INTEGER NOT NULL,           -- ms since epoch, UTC
    finished_at INTEGER,
    args        TEXT NOT NULL,
    report      TEXT                        -- the run's JSON report
);

-- Every event id stored in the lake: the dedupe set (16-byte ids).
CREATE TABLE event_ids (
    id     BLOB PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id)
) WITHOUT ROWID;

-- Parquet files committed to the lake; files on disk but not here are orphans of a crash.
CREATE TABLE lake_files (
    path      TEXT PRIMARY KEY,             -- relative to the lake root
    class_uid INTEGER NOT NULL,
    day       TEXT NOT NULL,
    rows      INTEGER NOT NULL,
    bytes     INTEGER NOT NULL,
    sha256    TEXT NOT NULL,
    run_id    INTEGER NOT NULL REFERENCES runs(id)
);

-- Ingested sources and how far they were read.
CREATE TABLE sources (
    path        TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    modified_ms INTEGER,
    sha256      TEXT NOT NULL,
    offset      INTEGER NOT NULL,           -- bytes of the file consumed
    records     INTEGER NOT NULL,
    events      INTEGER NOT NULL,
    quarantined INTEGER NOT NULL,
    duplicates  INTEGER NOT NULL,
    formats     TEXT NOT NULL,              -- JSON object: decoder -> records
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    ingested_at INTEGER NOT NULL
);

-- Records that could not be decoded, with the reason and where they were.
CREATE TABLE quarantine (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    at       INTEGER NOT NULL,
    source   TEXT NOT NULL,
    locator  TEXT NOT NULL,
    format   TEXT NOT NULL,
    reason   TEXT NOT NULL,
    size     INTEGER NOT NULL,
    sha256   TEXT NOT NULL,
    excerpt  TEXT NOT NULL,
    UNIQUE (source, locator, sha256)
);
CREATE INDEX quarantine_source ON quarantine(source);
