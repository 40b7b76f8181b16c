-- The records with changes the server has not confirmed, found without reading
-- the documents table (its rows hold each record's snapshot): every sync round
-- asks, twice, and a village's store holds thousands of records.
CREATE INDEX documents_unpushed ON documents (id) WHERE heads <> synced_heads;
