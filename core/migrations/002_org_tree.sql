-- The org tree: versioned reference data sent by the server.

-- Version of each kind of reference data held.
CREATE TABLE reference_versions (
    what     TEXT PRIMARY KEY,
    version  INTEGER NOT NULL
) STRICT;

-- County, town (township or street office) and village (or community).
CREATE TABLE org_units (
    code    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    level   TEXT NOT NULL CHECK (level IN ('county', 'town', 'village')),
    parent  TEXT REFERENCES org_units (code)
) STRICT;

CREATE TABLE grids (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    level        INTEGER NOT NULL CHECK (level IN (1, 2)),
    kind         TEXT NOT NULL,
    unit         TEXT NOT NULL REFERENCES org_units (code),
    parent_grid  TEXT REFERENCES grids (code),
    -- Polygon rings as JSON: [[[lon, lat], ...], ...], exterior first (WGS-84).
    boundary     TEXT NOT NULL
) STRICT;
CREATE INDEX grids_unit ON grids (unit);

-- Bounding boxes of grid polygons, for "which grid contains this point".
CREATE VIRTUAL TABLE grid_bounds USING rtree (id, min_lon, max_lon, min_lat, max_lat);

CREATE TABLE staff (
    id    TEXT PRIMARY KEY,
    name  TEXT NOT NULL
) STRICT;

-- A role held by a person, over a grid or over an org unit.
CREATE TABLE staff_roles (
    staff  TEXT NOT NULL REFERENCES staff (id),
    role   TEXT NOT NULL,
    grid   TEXT REFERENCES grids (code),
    unit   TEXT REFERENCES org_units (code),
    CHECK ((grid IS NULL) <> (unit IS NULL))
) STRICT;
CREATE INDEX staff_roles_staff ON staff_roles (staff);
