"""REST API of incoming documents (included at /api/v1/)."""
