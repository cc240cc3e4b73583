"""Vietnamese unless chosen: the cookie, then the user's preference, never the browser's Accept-Language."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.vietnamese


@pytest.mark.django_db
def test_an_english_browser_still_gets_vietnamese(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "vi"
    assert '<html lang="vi"' in response.content.decode()


def test_a_signed_in_user_gets_their_preferred_language(client, clerk):
    clerk.preferred_language = "en"
    clerk.save()
    client.force_login(clerk)
    response = client.get(reverse("home"))
    assert response.headers["Content-Language"] == "en"


def test_the_language_switch_sets_the_cookie_and_keeps_the_choice_as_the_preference(client, clerk):
    client.force_login(clerk)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    clerk.refresh_from_db()
    assert clerk.preferred_language == "en"
    # The cookie wins over the stored preference.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    assert client.get(reverse("home")).headers["Content-Language"] == "vi"


def test_an_unknown_language_changes_nothing(client, clerk):
    client.force_login(clerk)
    client.post(reverse("set_language"), {"language": "fr", "next": reverse("home")})
    clerk.refresh_from_db()
    assert clerk.preferred_language == "vi"
    assert client.get(reverse("home")).headers["Content-Language"] == "vi"


@pytest.mark.django_db
def test_the_switch_refuses_get(client):
    assert client.get(reverse("set_language")).status_code == 405


def test_only_the_most_specific_menu_entry_is_current(rf, cell_secretary):
    from django.urls import reverse

    from partyhub.context_processors import navigation

    request = rf.get(reverse("members:handbook"))
    request.user = cell_secretary
    current = [item["url"] for item in navigation(request) if item["current"]]
    assert current == [reverse("members:handbook")]
