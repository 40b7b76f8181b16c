-- What the phone measured of its clock while recording, sent with each chunk:
-- fixes refused because the clock went backwards, and how far fix times ran ahead
-- of the phone's clock. The review shows the patrol's largest.
ALTER TABLE track_chunks ADD COLUMN clock_backwards BIGINT NOT NULL DEFAULT 0;
ALTER TABLE track_chunks ADD COLUMN clock_skew_ms BIGINT NOT NULL DEFAULT 0;
-- A worker's earlier patrols (replay detection): by worker and time.
CREATE INDEX track_chunks_worker_first ON track_chunks (worker_id, first_ms);
