-- The latest live position of each patrolling worker (one row per person,
-- replaced about once a minute while a patrol runs and the phone has signal), for
-- the command centre's map and big screen. Not a record: the track chunks are.
CREATE TABLE live_positions (
    staff_id    TEXT PRIMARY KEY,
    grid_code   TEXT NOT NULL,
    lat_e6      INTEGER NOT NULL,
    lon_e6      INTEGER NOT NULL,
    accuracy_m  INTEGER NOT NULL,
    at          INTEGER NOT NULL
) STRICT;
CREATE INDEX live_positions_at ON live_positions (at);
