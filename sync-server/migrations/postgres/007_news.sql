-- News for the people in the loop: a dispatch, an urge, a return, a case to
-- verify or close, marked for its recipients (a unit, a town's or county's
-- command centre, a town's verifiers), so a phone's "anything for me?" check is
-- one indexed count. Old rows are pruned; a phone that missed them syncs anyway.
CREATE TABLE news (
    seq          BIGSERIAL PRIMARY KEY,
    target       TEXT NOT NULL,
    incident_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX news_target ON news (target, seq);
