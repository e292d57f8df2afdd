-- Catalog tables: a copy of the seed file, reloaded idempotently at every start.
CREATE TABLE IF NOT EXISTS venue (
    venue_id VARCHAR(64)  NOT NULL PRIMARY KEY,
    name     VARCHAR(200) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS zone (
    venue_id     VARCHAR(64)   NOT NULL,
    zone_id      INT UNSIGNED  NOT NULL,
    ticket_price DECIMAL(12,2) NOT NULL,
    row_count    INT UNSIGNED  NOT NULL,
    col_count    INT UNSIGNED  NOT NULL,
    PRIMARY KEY (venue_id, zone_id),
    CONSTRAINT fk_zone_venue FOREIGN KEY (venue_id) REFERENCES venue (venue_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS event (
    event_id   VARCHAR(64)  NOT NULL PRIMARY KEY,
    venue_id   VARCHAR(64)  NOT NULL,
    name       VARCHAR(200) NOT NULL,
    event_type VARCHAR(32)  NOT NULL,
    starts_at  DATETIME(3)  NOT NULL,
    KEY idx_event_starts (starts_at, event_id),
    KEY idx_event_venue_starts (venue_id, starts_at, event_id),
    KEY idx_event_type_starts (event_type, starts_at, event_id),
    CONSTRAINT fk_event_venue FOREIGN KEY (venue_id) REFERENCES venue (venue_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
