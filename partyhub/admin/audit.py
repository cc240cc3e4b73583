"""Admin for this area."""
