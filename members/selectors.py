"""Reads that depend on who is asking (roles, visible organizations and members)."""
