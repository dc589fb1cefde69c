-- (tenant, userId or anonymousId) -> email of the newest identify Mailmodo accepted, by event time.
CREATE TABLE known_contact (
    tenant   VARCHAR(16)  NOT NULL,
    id_kind  VARCHAR(9)   NOT NULL, -- 'user' or 'anonymous'
    id       TEXT         NOT NULL, -- userId / anonymousId as sent; no length limit in Segment
    email    VARCHAR(254) NOT NULL,
    seen_at  BIGINT       NOT NULL, -- event time of that identify, epoch milliseconds
    PRIMARY KEY (tenant, id_kind, id)
);
