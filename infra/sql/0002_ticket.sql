-- The read model of sold tickets, written by the SQL consumer.
-- ticket_id is a UUIDv7: time-ordered, so the primary key grows at its end and keyset
-- pagination by ticket_id follows sale order.
-- A second ticket for one seat is refused by uq_ticket_seat and reported by the consumer.
CREATE TABLE IF NOT EXISTS ticket (
    ticket_id  CHAR(36) CHARACTER SET ascii NOT NULL,
    venue_id   VARCHAR(64)   NOT NULL,
    event_id   VARCHAR(64)   NOT NULL,
    zone_id    INT UNSIGNED  NOT NULL,
    row_label  VARCHAR(3)    NOT NULL,
    col_label  INT UNSIGNED  NOT NULL,
    price      DECIMAL(12,2) NOT NULL,
    created_on DATETIME(3)   NOT NULL,
    PRIMARY KEY (ticket_id),
    UNIQUE KEY uq_ticket_seat (event_id, zone_id, row_label, col_label),
    KEY idx_ticket_event (event_id, ticket_id),
    KEY idx_ticket_event_zone (event_id, zone_id, ticket_id),
    KEY idx_ticket_venue_event (venue_id, event_id, ticket_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
