-- What behavioral detections have learned, per detection and entity (baselines, first-seen
-- sets, recent locations), so a restart keeps it. `state` is the detection's JSON.
CREATE TABLE behavior_state (
    detection   TEXT NOT NULL,
    entity      TEXT NOT NULL,
    updated_ms  INTEGER NOT NULL,
    state       TEXT NOT NULL,
    PRIMARY KEY (detection, entity)
);
