-- Who bought a ticket, and in which order: set for seats sold to a signed-in buyer (checkout,
-- or a direct purchase with a token), NULL for anonymous purchases.
-- GET /api/v1/me/tickets reads a buyer's tickets in sale order, with or without an event.
ALTER TABLE ticket
    ADD COLUMN buyer_id CHAR(36) CHARACTER SET ascii NULL,
    ADD COLUMN order_id CHAR(36) CHARACTER SET ascii NULL,
    ADD KEY idx_ticket_buyer (buyer_id, ticket_id),
    ADD KEY idx_ticket_buyer_event (buyer_id, event_id, ticket_id);
