-- The latest live position of each patrolling worker (one row per person,
-- replaced about once a minute while a patrol runs and the phone has signal), for
-- the command centre's map and big screen. Not a record: the track chunks are.
-- Instances tell each other of new positions and reports with NOTIFY on the
-- channel fieldgrid_live.
CREATE TABLE live_positions (
    staff_id    TEXT PRIMARY KEY,
    grid_code   TEXT NOT NULL,
    lat_e6      INTEGER NOT NULL,
    lon_e6      INTEGER NOT NULL,
    accuracy_m  INTEGER NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX live_positions_at ON live_positions (at);
