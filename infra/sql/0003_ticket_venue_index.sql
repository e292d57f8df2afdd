-- Tickets of a venue in sale order, for GET /api/v1/tickets?venueId=.
CREATE INDEX idx_ticket_venue ON ticket (venue_id, ticket_id);
