-- Dedupe keys (DESIGN §7): one row per (tenant, messageId), claimed atomically when processing starts.
-- state 'in_flight' holds a lease; 'done' keeps the outcome the sender got, so a duplicate gets it again.
CREATE TABLE processed_message (
    tenant       VARCHAR(16) NOT NULL,
    message_id   TEXT        NOT NULL,
    state        VARCHAR(9)  NOT NULL,
    http_status  INTEGER,
    status       VARCHAR(16),
    reason       VARCHAR(40),
    message      TEXT,
    lease_until  BIGINT      NOT NULL, -- epoch ms; an in_flight claim older than this may be taken over
    expires_at   BIGINT      NOT NULL, -- epoch ms; forgotten (purged) after destination.dedupe-ttl
    PRIMARY KEY (tenant, message_id)
);
CREATE INDEX processed_message_expiry ON processed_message (expires_at);
