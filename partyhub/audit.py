"""The audit trail (filled in by the audit work package)."""
