"""Template context every page needs."""


def layout(request):
    """Navigation by role and the language switch (UI work package)."""
    return {}


def notifications(request):
    """The unread counter in the header (notifications work package)."""
    return {}
