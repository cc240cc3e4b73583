"""Every write of the members app, one module per area; each function is keyword-only, takes the acting
user as ``actor=`` and runs in one transaction (see organizations.py for the conventions).

- ``organizations``: organizations, terms, positions, member/user links
- ``records``: the member record (create, update, work history, family, awards, corrections)
- ``status``: the status history (admission, recognition, transfers, discipline, …)
- ``fees``: fee declarations, exemptions and payments
- ``assessments``: annual quality assessments
- ``importing``: Excel import of members
"""

from .organizations import (
    member_link_user,
    organization_create,
    position_assign,
    position_end,
    term_create,
    term_end,
    validate_organization_placement,
    validate_term,
)

__all__ = [
    "member_link_user",
    "organization_create",
    "position_assign",
    "position_end",
    "term_create",
    "term_end",
    "validate_organization_placement",
    "validate_term",
]
