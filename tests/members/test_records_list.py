"""The member list: diacritic-insensitive search, filters, sorting, pagination, constant query count."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from members import selectors
from members.models import Member
from members.services import records

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def years_ago(years, days=0):
    return TODAY.replace(year=TODAY.year - years, day=min(TODAY.day, 28)) - datetime.timedelta(days=days)


def letters(index: int) -> str:
    """A name part from a number (names hold letters only): 0 → "AA", 27 → "BB"."""
    return chr(65 + index // 26) + chr(65 + index % 26)


def add(organization, full_name, **fields):
    return records.member_create(actor=None, organization=organization, full_name=full_name, **fields)


@pytest.fixture
def people(org_tree):
    a, b = org_tree["cell_a"], org_tree["cell_b"]
    return {
        "an": add(
            a,
            "Nguyễn Văn An",
            date_of_birth=years_ago(40),
            political_theory="intermediate",
            party_card_number="18012345",
        ),
        "anh": add(a, "Nguyễn Văn Anh", date_of_birth=years_ago(25), other_names="Tư Anh"),
        "dao": add(
            b,
            "Đào Thị Đượm",
            date_of_birth=years_ago(70),
            political_theory="advanced",
            personal_record_number="012345KG",
        ),
        "hung": add(b, "Trần Hùng", date_of_birth=years_ago(30, days=-3)),
    }


def names(response):
    return [m.full_name for m in response.context["members"]]


def test_search_without_diacritics(client, clerk, people):
    client.force_login(clerk)
    response = client.get(reverse("members:list"), {"q": "nguyen van an"})
    assert names(response) == ["Nguyễn Văn An", "Nguyễn Văn Anh"]
    assert names(client.get(reverse("members:list"), {"q": "dao thi duom"})) == ["Đào Thị Đượm"]
    assert names(client.get(reverse("members:list"), {"q": "ĐƯỢM"})) == ["Đào Thị Đượm"]
    assert names(client.get(reverse("members:list"), {"q": "tu anh"})) == ["Nguyễn Văn Anh"]
    # Card and record numbers are searched too; words may come in any order.
    assert names(client.get(reverse("members:list"), {"q": "18012345"})) == ["Nguyễn Văn An"]
    assert names(client.get(reverse("members:list"), {"q": "012345kg"})) == ["Đào Thị Đượm"]
    assert names(client.get(reverse("members:list"), {"q": "an nguyen"})) == ["Nguyễn Văn An", "Nguyễn Văn Anh"]
    assert names(client.get(reverse("members:list"), {"q": "khong co ai"})) == []


def test_search_never_leaves_the_visible_members(client, cell_secretary, people, org_tree):
    client.force_login(cell_secretary)
    assert names(client.get(reverse("members:list"), {"q": "dao"})) == []
    add(org_tree["other_cell"], "Nguyễn Văn An Ngoài")
    assert "Nguyễn Văn An Ngoài" not in names(client.get(reverse("members:list"), {"q": "nguyen van an"}))


def test_filters(client, clerk, people, org_tree):
    client.force_login(clerk)
    url = reverse("members:list")
    ours = {m.full_name for m in people.values()}

    def found(**params):
        return set(names(client.get(url, params))) & ours

    assert found(organization=org_tree["cell_b"].pk) == {"Đào Thị Đượm", "Trần Hùng"}
    assert found(political_theory="advanced") == {"Đào Thị Đượm"}
    assert found(political_theory="none") == {"Nguyễn Văn Anh", "Trần Hùng"}
    assert found(age_min=35) == {"Nguyễn Văn An", "Đào Thị Đượm"}
    assert found(age_max=29) == {"Nguyễn Văn Anh", "Trần Hùng"}  # Hùng turns 30 in three days
    assert found(age_min=26, age_max=69) == {"Nguyễn Văn An", "Trần Hùng"}
    assert found(status="official") == set()
    assert found(status="probationary") == ours
    assert found(status="probationary", organization=org_tree["cell_a"].pk, q="anh") == {"Nguyễn Văn Anh"}


def test_age_boundaries_are_exact(clerk, org_tree):
    birthday_today = add(org_tree["cell_a"], "Lê Đủ Tuổi", date_of_birth=selectors._years_before(TODAY, 30))
    tomorrow = add(
        org_tree["cell_a"], "Lê Chưa Đủ", date_of_birth=selectors._years_before(TODAY, 30) + datetime.timedelta(days=1)
    )
    found = set(selectors.member_list(clerk, filters={"age_min": 30}).values_list("pk", flat=True))
    assert birthday_today.pk in found and tomorrow.pk not in found
    found = set(selectors.member_list(clerk, filters={"age_max": 29}).values_list("pk", flat=True))
    assert tomorrow.pk in found and birthday_today.pk not in found


def test_badge_and_recognition_filters(client, clerk, people):
    soon = TODAY + datetime.timedelta(days=20)
    Member.objects.filter(pk=people["dao"].pk).update(next_badge_years=50, next_badge_date=soon)
    Member.objects.filter(pk=people["an"].pk).update(
        next_badge_years=30, next_badge_date=TODAY + datetime.timedelta(days=400)
    )
    Member.objects.filter(pk=people["anh"].pk).update(recognition_due_date=TODAY + datetime.timedelta(days=10))
    Member.objects.filter(pk=people["hung"].pk).update(recognition_due_date=TODAY + datetime.timedelta(days=90))
    client.force_login(clerk)
    url = reverse("members:list")
    due = (TODAY + datetime.timedelta(days=60)).isoformat()
    assert names(client.get(url, {"badge_due_before": due})) == ["Đào Thị Đượm"]
    assert names(client.get(url, {"recognition_due": "on"})) == ["Nguyễn Văn Anh"]
    assert names(client.get(url, {"sort": "badge"}))[:2] == ["Đào Thị Đượm", "Nguyễn Văn An"]


def test_sorting_and_pagination(client, clerk, people, org_tree):
    for index in range(30):
        add(org_tree["cell_a"], f"Võ Văn Số {letters(index)}")
    client.force_login(clerk)
    url = reverse("members:list")
    first = client.get(url, {"q": "vo van so", "sort": "-name"})
    assert first.context["paginator"].count == 30
    assert names(first)[0] == f"Võ Văn Số {letters(29)}"
    assert len(names(first)) == 25
    second = client.get(url, {"q": "vo van so", "sort": "-name", "page": 2})
    assert names(second) == [f"Võ Văn Số {letters(i)}" for i in range(4, -1, -1)]
    assert "q=vo+van+so" in second.content.decode()  # the pager keeps the search
    assert len(names(client.get(url, {"q": "vo van so", "per_page": 50}))) == 30


def test_bad_filter_input_is_reported_not_crashing(client, clerk, people):
    client.force_login(clerk)
    response = client.get(reverse("members:list"), {"age_min": "abc", "age_max": 200, "organization": 99999})
    assert response.status_code == 200
    assert response.context["form"].errors


def _fill(organization, count):
    for index in range(count):
        add(organization, f"Đảng Viên Số {letters(index)}", date_of_birth=years_ago(30 + index % 40))


@pytest.mark.parametrize("role", ["clerk", "cell_secretary"])
def test_query_count_does_not_grow_with_page_size(client, django_assert_num_queries, request, org_tree, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    url = reverse("members:list")
    _fill(org_tree["cell_a"], 5)
    client.get(url, {"per_page": 50})  # warm the session and caches
    with django_assert_num_queries(QUERIES[role]) as ctx:
        response = client.get(url, {"per_page": 50, "q": "dang vien"})
    assert len(response.context["members"]) == 5
    small = len(ctx.captured_queries)
    _fill_more = 45
    for index in range(5, 5 + _fill_more):
        add(org_tree["cell_a"], f"Đảng Viên Số {letters(index)}", date_of_birth=years_ago(30 + index % 40))
    with django_assert_num_queries(small):
        response = client.get(url, {"per_page": 50, "q": "dang vien"})
    assert len(response.context["members"]) == 50


#: The list page's queries: session (read, and the savepoint/update/release of its refresh), user, the user's
#: member row and positions, the member scope, the managed scope (may they add members), the count, the
#: "may add" check, the import and dashboard buttons (the clerk's import scope costs one more), the
#: notification counter, the cells of the filter, the page.
QUERIES = {"clerk": 16, "cell_secretary": 15}
