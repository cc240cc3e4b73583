"""``manage.py seed_demo``: a realistic commune party organization for demonstrations and manual testing.

Tỉnh ủy An Giang (external) → Đảng bộ xã Gò Quao with its executive committee, standing committee,
inspection committee and office, eight cells, terms, about a hundred members with Vietnamese names, position
titles with their role grants, positions, and one login per role.

Idempotent: every row has a natural key (organization name under its parent, term name, title name, party
card number, username, position = member + organization + title + start date); a second run finds them all
and writes nothing. Passwords are set when an account is created (``--reset-passwords`` sets them again).
The data comes from a seeded random generator, so every run and every machine gets the same people.
"""

from __future__ import annotations

import base64
import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from members import services
from members.models import (
    Member,
    MemberStatus,
    Organization,
    OrganizationKind,
    Position,
    PositionTitle,
    Sex,
    Term,
)

DEFAULT_PASSWORD = "PartyHub-demo-2026"  # noqa: S105 - the documented demo password
SEED = 2026
PLACE = "Gò Quao"
MEMBER_COUNT = 104

FAMILY_NAMES = [
    # Weighted roughly like the Mekong delta (Khmer family names Danh, Thạch, Lâm, Sơn are common in Gò Quao).
    *["Nguyễn"] * 12,
    *["Trần"] * 5,
    *["Lê"] * 5,
    *["Phạm"] * 3,
    *["Huỳnh"] * 3,
    *["Võ"] * 3,
    *["Danh"] * 3,
    "Phan",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Thạch",
    "Lâm",
    "Sơn",
    "Trương",
    "Châu",
    "Tô",
]
MIDDLE_NAMES = {
    Sex.MALE: ["Văn", "Văn", "Văn", "Hữu", "Minh", "Quốc", "Thanh", "Công", "Đức", "Hoàng", "Trung", "Chí"],
    Sex.FEMALE: ["Thị", "Thị", "Thị", "Ngọc", "Thanh", "Kim", "Bích", "Thu", "Mỹ", "Hồng", "Diệu"],
}
# fmt: off
GIVEN_NAMES = {
    Sex.MALE: [
        "Hùng", "Dũng", "Tuấn", "Phong", "Khang", "Bình", "Hải", "Nam", "Sơn", "Tài", "Thắng", "Trung", "Vinh",
        "Phúc", "Hiếu", "Lộc", "Nghĩa", "Quang", "Toàn", "Khải", "Đạt", "Cường", "Thịnh", "Hòa", "Tâm", "Lực",
    ],
    Sex.FEMALE: [
        "Lan", "Hoa", "Hạnh", "Hương", "Mai", "Ngọc", "Thảo", "Trang", "Yến", "Nhung", "Diễm", "Loan", "Phượng",
        "Xuân", "Hằng", "Tuyết", "Linh", "Thủy", "Oanh", "Nguyệt", "Quyên", "Trinh",
    ],
}
# fmt: on

# (name, signature title, granted roles, order)
TITLES = [
    ("Bí thư", "BÍ THƯ", {"leader", "delegate"}, 10),
    ("Phó Bí thư", "PHÓ BÍ THƯ", {"leader", "delegate"}, 20),
    ("Ủy viên Ban Thường vụ", "ỦY VIÊN BAN THƯỜNG VỤ", {"handler", "delegate"}, 30),
    ("Cấp ủy viên", "ĐẢNG ỦY VIÊN", {"delegate"}, 40),
    ("Chủ nhiệm Ủy ban Kiểm tra", "CHỦ NHIỆM", {"leader", "delegate"}, 50),
    ("Chánh Văn phòng", "CHÁNH VĂN PHÒNG", {"clerk", "handler"}, 60),
    ("Văn thư", "", {"clerk"}, 70),
    ("Chuyên viên", "", {"handler"}, 80),
    ("Bí thư chi bộ", "BÍ THƯ", {"cell_secretary"}, 90),
    ("Phó Bí thư chi bộ", "PHÓ BÍ THƯ", {"cell_secretary"}, 100),
]

CELLS = [
    ("Chi bộ ấp Phước Hưng", "Ấp Phước Hưng"),
    ("Chi bộ ấp Hòa Hưng", "Ấp Hòa Hưng"),
    ("Chi bộ ấp Thủy Liễu", "Ấp Thủy Liễu"),
    ("Chi bộ ấp Vĩnh Thạnh", "Ấp Vĩnh Thạnh"),
    ("Chi bộ Trường Trung học cơ sở Gò Quao", "Trường THCS"),
    ("Chi bộ Công an xã", "Công an xã"),
    ("Chi bộ Quân sự xã", "Quân sự xã"),
    ("Chi bộ Cơ quan Đảng – Đoàn thể xã", "Cơ quan Đảng – Đoàn thể"),
]

COMMUNE_TERM_START = datetime.date(2025, 8, 20)
CELL_TERM_START = datetime.date(2025, 5, 15)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    description: str


LOGINS = [
    DemoLogin("admin", "admin", "Quản trị hệ thống"),
    DemoLogin("bithu", "leader", "Bí thư Đảng ủy xã"),
    DemoLogin("vanthu", "clerk", "Văn thư Văn phòng Đảng ủy"),
    DemoLogin("chuyenvien", "handler", "Chuyên viên Văn phòng Đảng ủy"),
    DemoLogin("bithuchibo", "cell_secretary", "Bí thư Chi bộ ấp Phước Hưng"),
    DemoLogin("daibieu", "delegate", "Đảng ủy viên (Ban Chấp hành)"),
    DemoLogin("dangvien", "member", "Đảng viên Chi bộ ấp Phước Hưng"),
]


def generate_people(count: int = MEMBER_COUNT) -> list[dict]:
    """The same ``count`` people on every run: name, sex, birth date, admission, status, party card."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not a secret
    people: list[dict] = []
    seen_names: set[str] = set()
    cards = rng.sample(range(1_000_000, 9_999_999), count)
    for index in range(count):
        sex = Sex.MALE if rng.random() < 0.62 else Sex.FEMALE
        while True:
            name = " ".join([rng.choice(FAMILY_NAMES), rng.choice(MIDDLE_NAMES[sex]), rng.choice(GIVEN_NAMES[sex])])
            if name not in seen_names:
                seen_names.add(name)
                break
        admission = datetime.date(1978, 1, 1) + datetime.timedelta(days=rng.randrange(0, 47 * 365))
        if index % 17 == 5:  # a few recent admissions, still probationary
            admission = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randrange(0, 300))
        age_at_admission = rng.randint(19, 38)
        birth = datetime.date(admission.year - age_at_admission, rng.randint(1, 12), rng.randint(1, 28))
        probationary = admission >= datetime.date(2025, 1, 1)
        people.append(
            {
                "full_name": name,
                "sex": sex,
                "date_of_birth": birth,
                "admission_date": admission,
                "status": MemberStatus.PROBATIONARY if probationary else MemberStatus.OFFICIAL,
                "party_card_number": f"{cards[index]:08d}",
            }
        )
    return people


class Command(BaseCommand):
    help = "Load a demo commune party organization (Gò Quao) with members, positions and one login per role."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password of every demo login.")
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Set the password of existing demo logins again (by default only new logins get one).",
        )

    def handle(self, *args, password: str, reset_passwords: bool, verbosity: int = 1, **options):
        with transaction.atomic():
            stats = Seeder(password=password, reset_passwords=reset_passwords).run()
        if verbosity >= 1:
            self.print_summary(stats, password)

    def print_summary(self, stats: dict, password: str) -> None:
        out = self.stdout
        created = ", ".join(f"{name}: {n}" for name, n in stats["created"].items() if n) or "nothing (already loaded)"
        out.write(self.style.SUCCESS(f"Demo data ready — created {created}."))
        out.write("")
        if stats["passwords_set"]:
            out.write(f"Demo logins (password for all: {password}):")
        else:
            out.write(
                f"Demo logins (password for all: {password}, as set when they were created; "
                "--reset-passwords sets it again):"
            )
        width = max(len(login.username) for login in LOGINS)
        out.write(f"  {'username'.ljust(width)}  {'role'.ljust(14)}  who")
        out.write(f"  {'-' * width}  {'-' * 14}  {'-' * 30}")
        for login in LOGINS:
            out.write(f"  {login.username.ljust(width)}  {login.role.ljust(14)}  {login.description}")
        otp = stats["otp"]
        out.write("")
        out.write("The admin site asks the 'admin' login for a second factor:")
        out.write(f"  TOTP secret (base32): {otp['secret']}")
        out.write(f"  otpauth URI:          {otp['uri']}")
        out.write(f"  backup codes:         {' '.join(otp['backup_codes'])}")


class Seeder:
    def __init__(self, *, password: str, reset_passwords: bool):
        self.password = password
        self.reset_passwords = reset_passwords
        self.created = {"organizations": 0, "terms": 0, "titles": 0, "members": 0, "positions": 0, "users": 0}
        self.passwords_set = False

    # -- helpers -------------------------------------------------------------------------------------------

    def org(self, *, name: str, kind: str, code: str, parent: Organization | None, **extra) -> Organization:
        existing = Organization.objects.filter(parent=parent, name=name).first()
        if existing is not None:
            return existing
        self.created["organizations"] += 1
        return services.organization_create(actor=None, name=name, kind=kind, code=code, parent=parent, **extra)

    def term(self, organization: Organization, name: str, start: datetime.date, end: datetime.date | None) -> None:
        if Term.objects.filter(organization=organization, name=name).exists():
            return
        self.created["terms"] += 1
        services.term_create(actor=None, organization=organization, name=name, start_date=start, end_date=end)

    # -- steps ---------------------------------------------------------------------------------------------

    def run(self) -> dict:
        orgs = self.organizations()
        titles = self.titles()
        members = self.members(orgs)
        self.positions(orgs, titles, members)
        otp = self.users(members)
        return {"created": self.created, "passwords_set": self.passwords_set, "otp": otp}

    def organizations(self) -> dict:
        central = self.org(
            name="Ban Chấp hành Trung ương Đảng", short_name="Trung ương", kind=OrganizationKind.CENTRAL, code="TW",
            parent=None, place_name="Hà Nội",
        )  # fmt: skip
        province = self.org(
            name="Tỉnh ủy An Giang", short_name="Tỉnh ủy", kind=OrganizationKind.PROVINCE_COMMITTEE, code="TU",
            parent=central, place_name="An Giang",
        )  # fmt: skip
        commune = self.org(
            name=f"Đảng bộ xã {PLACE}", short_name=f"Đảng ủy xã {PLACE}", kind=OrganizationKind.COMMUNE_COMMITTEE,
            code="ĐU", parent=province, place_name=PLACE, is_external=False,
        )  # fmt: skip
        bodies = {
            "executive": self.org(
                name=f"Ban Chấp hành Đảng bộ xã {PLACE}", short_name="Ban Chấp hành",
                kind=OrganizationKind.EXECUTIVE_COMMITTEE, code="ĐU", parent=commune, order=1,
            ),
            "standing": self.org(
                name=f"Ban Thường vụ Đảng ủy xã {PLACE}", short_name="Ban Thường vụ",
                kind=OrganizationKind.STANDING_COMMITTEE, code="ĐU", parent=commune, order=2,
            ),
            "inspection": self.org(
                name=f"Ủy ban Kiểm tra Đảng ủy xã {PLACE}", short_name="UBKT Đảng ủy",
                kind=OrganizationKind.INSPECTION_COMMITTEE, code="UBKT", parent=commune, order=3,
            ),
            "office": self.org(
                name=f"Văn phòng Đảng ủy xã {PLACE}", short_name="Văn phòng Đảng ủy",
                kind=OrganizationKind.OFFICE, code="VPĐU", parent=commune, order=4,
            ),
        }  # fmt: skip
        cells = [
            self.org(name=name, short_name=short, kind=OrganizationKind.CELL, code="CB", parent=commune, order=10 + i)
            for i, (name, short) in enumerate(CELLS)
        ]
        # Terms: the previous and the current term of the commune and its bodies; the cells' current term.
        for organization in [commune, *bodies.values()]:
            self.term(organization, "2020–2025", datetime.date(2020, 8, 25), COMMUNE_TERM_START)
            self.term(organization, "2025–2030", COMMUNE_TERM_START, None)
        for cell in cells:
            self.term(cell, "2025–2030", CELL_TERM_START, None)
        return {"province": province, "commune": commune, **bodies, "cells": cells}

    def titles(self) -> dict[str, PositionTitle]:
        existing = {t.name: t for t in PositionTitle.objects.filter(name__in=[t[0] for t in TITLES])}
        new = [
            PositionTitle(
                name=name,
                signature_title=signature,
                order=order,
                **{f"grants_{role}": True for role in roles},
            )
            for name, signature, roles, order in TITLES
            if name not in existing
        ]
        if new:
            PositionTitle.objects.bulk_create(new)
            self.created["titles"] += len(new)
            existing = {t.name: t for t in PositionTitle.objects.filter(name__in=[t[0] for t in TITLES])}
        return existing

    def members(self, orgs: dict) -> list[Member]:
        people = generate_people()
        cells = orgs["cells"]
        cards = [p["party_card_number"] for p in people]
        existing = set(Member.objects.filter(party_card_number__in=cards).values_list("party_card_number", flat=True))
        # The first sixteen people work in the committee's offices; the rest live in the hamlets, teach, or
        # serve in the police and the militia.
        office_cell, others = cells[-1], cells[:-1]
        new = [
            Member(organization=office_cell if index < 16 else others[(index - 16) % len(others)], **person)
            for index, person in enumerate(people)
            if person["party_card_number"] not in existing
        ]
        if new:
            Member.objects.bulk_create(new)
            self.created["members"] += len(new)
        by_card = {m.party_card_number: m for m in Member.objects.filter(party_card_number__in=cards)}
        return [by_card[card] for card in cards]

    def positions(self, orgs: dict, titles: dict[str, PositionTitle], members: list[Member]) -> None:
        """Who holds what. Members are taken in a fixed order so the same people hold the same offices."""
        cells = orgs["cells"]
        party_office_cell = cells[-1]
        # Committee leaders and office staff attend the cell of the party and mass organizations' offices.
        officials = [m for m in members if m.organization_id == party_office_cell.pk and m.status == "official"]
        commune, standing, executive = orgs["commune"], orgs["standing"], orgs["executive"]
        inspection, office = orgs["inspection"], orgs["office"]
        start = COMMUNE_TERM_START
        wanted: list[tuple[Member, Organization, str, datetime.date]] = [
            (officials[0], commune, "Bí thư", start),
            (officials[1], commune, "Phó Bí thư", start),
            (officials[2], commune, "Phó Bí thư", start),
            (officials[0], standing, "Ủy viên Ban Thường vụ", start),
            (officials[1], standing, "Ủy viên Ban Thường vụ", start),
            (officials[2], standing, "Ủy viên Ban Thường vụ", start),
            (officials[3], standing, "Ủy viên Ban Thường vụ", start),
            (officials[3], inspection, "Chủ nhiệm Ủy ban Kiểm tra", start),
            (officials[4], office, "Chánh Văn phòng", start),
            (officials[5], office, "Văn thư", start),
            (officials[6], office, "Chuyên viên", start),
            (officials[7], office, "Chuyên viên", start),
        ]
        for holder in [*officials[:5], officials[9]]:
            wanted.append((holder, executive, "Cấp ủy viên", start))
        # Each cell's secretary and deputy are its first two official members; the secretaries also sit on
        # the executive committee (cấp ủy viên).
        for cell in cells:
            cell_officials = [m for m in members if m.organization_id == cell.pk and m.status == "official"]
            if cell == party_office_cell:  # the committee's leaders do not also lead their own cell
                cell_officials = cell_officials[10:]
            wanted.append((cell_officials[0], cell, "Bí thư chi bộ", CELL_TERM_START))
            wanted.append((cell_officials[1], cell, "Phó Bí thư chi bộ", CELL_TERM_START))
            if cell != party_office_cell:
                wanted.append((cell_officials[0], executive, "Cấp ủy viên", start))
        # A former office clerk whose position ended with the previous term (shows history in the admin).
        wanted_ended = (officials[8], office, "Văn thư", datetime.date(2020, 9, 1), start - datetime.timedelta(days=1))

        existing = set(
            Position.objects.filter(member__in=members).values_list(
                "member_id", "organization_id", "title_id", "start_date"
            )
        )
        new = []
        for member, organization, title_name, start_date in wanted:
            key = (member.pk, organization.pk, titles[title_name].pk, start_date)
            if key not in existing:
                existing.add(key)
                new.append(
                    Position(member=member, organization=organization, title=titles[title_name], start_date=start_date)
                )
        member, organization, title_name, start_date, end_date = wanted_ended
        key = (member.pk, organization.pk, titles[title_name].pk, start_date)
        if key not in existing:
            new.append(
                Position(
                    member=member,
                    organization=organization,
                    title=titles[title_name],
                    start_date=start_date,
                    end_date=end_date,
                )
            )
        if new:
            Position.objects.bulk_create(new)
            self.created["positions"] += len(new)
        self._holders = {
            "bithu": officials[0],
            "vanthu": officials[5],
            "chuyenvien": officials[6],
            "bithuchibo": next(
                m for m in members if m.organization_id == cells[0].pk and m.status == "official"
            ),  # secretary of Chi bộ ấp Phước Hưng
            "daibieu": officials[9],
            "dangvien": [m for m in members if m.organization_id == cells[0].pk and m.status == "official"][3],
        }

    def users(self, members: list[Member]) -> dict:
        User = get_user_model()
        accounts = {}
        for login in LOGINS:
            member = self._holders.get(login.username)
            user = User.objects.filter(username=login.username).first()
            if user is None:
                user = User(
                    username=login.username,
                    full_name=member.full_name if member else "Quản trị hệ thống",
                    email=f"{login.username}@goquao.example",
                    preferred_language="vi",
                    is_staff=login.username == "admin",
                    is_superuser=login.username == "admin",
                )
                user.set_password(self.password)
                user.save()
                self.created["users"] += 1
                self.passwords_set = True
            elif self.reset_passwords:
                user.set_password(self.password)
                user.save(update_fields=["password"])
                self.passwords_set = True
            if member is not None and member.user_id is None and not Member.objects.filter(user=user).exists():
                services.member_link_user(actor=None, member=member, user=user)
            accounts[login.username] = user
        return self.admin_second_factor(accounts["admin"])

    def admin_second_factor(self, admin) -> dict:
        from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
        from django_otp.plugins.otp_totp.models import TOTPDevice

        totp = TOTPDevice.objects.filter(user=admin, name="PartyHub demo").first()
        if totp is None:
            totp = TOTPDevice.objects.create(user=admin, name="PartyHub demo", confirmed=True)
        static = StaticDevice.objects.filter(user=admin, name="Backup codes").first()
        if static is None:
            static = StaticDevice.objects.create(user=admin, name="Backup codes", confirmed=True)
        tokens = list(static.token_set.order_by("id").values_list("token", flat=True))
        if not tokens:
            StaticToken.objects.bulk_create(
                [StaticToken(device=static, token=StaticToken.random_token()) for _ in range(6)]
            )
            tokens = list(static.token_set.order_by("id").values_list("token", flat=True))
        return {
            "secret": base64.b32encode(totp.bin_key).decode("ascii"),
            "uri": totp.config_url,
            "backup_codes": tokens,
        }
