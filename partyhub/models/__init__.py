from .audit import AuditChainHead, AuditEntry
from .files import StoredFile
from .notifications import Notification, NotificationPreference
from .outbox import OutboxMessage
from .users import User

__all__ = [
    "AuditChainHead",
    "AuditEntry",
    "Notification",
    "NotificationPreference",
    "OutboxMessage",
    "StoredFile",
    "User",
]
