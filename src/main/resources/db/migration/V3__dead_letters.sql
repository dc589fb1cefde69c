-- Dead letters (DESIGN §7, §8): every permanent failure of an accepted event, kept to be fixed and replayed.
CREATE TABLE dead_letter (
    id          VARCHAR(36) NOT NULL PRIMARY KEY,
    tenant      VARCHAR(16) NOT NULL,
    message_id  TEXT,
    type        TEXT,
    reason      VARCHAR(40) NOT NULL,
    message     TEXT        NOT NULL,
    event       TEXT        NOT NULL, -- the event as received (batch context merged in), or the raw body when not JSON
    list_name   TEXT,                 -- the list an identify was meant for (X-Segment-Settings), used on replay
    attempts    INTEGER     NOT NULL, -- Mailmodo calls made for it (0: refused before any call)
    failed_at   BIGINT      NOT NULL  -- epoch ms of the last failure
);
CREATE INDEX dead_letter_newest ON dead_letter (tenant, failed_at, id);
