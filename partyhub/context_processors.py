"""Template context every page needs (navigation, unread counter)."""


def layout(request):
    return {}
