-- How far each live source (a poller of a vendor's log API) has been read: the vendor's own
-- cursor (Okta's `after` link, a CloudTrail object key …), written in the same transaction as
-- the events the poll produced, so a restart neither loses nor repeats a page.
CREATE TABLE poll_cursors (
    source      TEXT PRIMARY KEY,
    cursor      TEXT NOT NULL,
    updated_ms  INTEGER NOT NULL,
    run_id      INTEGER NOT NULL
);
