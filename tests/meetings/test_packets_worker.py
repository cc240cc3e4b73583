"""The packet task on a real Celery worker consuming from Redis: requested in a transaction, sent after the
commit, compiled by the worker, the delegates' copies made and the delegates told."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from meetings.models import DelegateCopy, Packet, PacketStatus
from meetings.services.packets import packet_request_build
from partyhub.models import Notification, OutboxMessage

from ..conftest import wait_for
from .packet_factories import (
    _packet_env,  # noqa: F401 (the packet_env fixture)
    document,
    item,
    make_meeting,
    new_delegate,
    page_texts,
    read_pdf,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("packet_env")]


def test_a_real_worker_compiles_the_packet_and_makes_the_copies(celery_redis_worker, org_tree, clerk):
    meeting = make_meeting(org_tree["cell_a"], created_by=clerk)
    first = item(meeting, "Báo cáo")
    document(first, "Báo cáo tháng", pages=3, added_by=clerk, marker="WORKERDOC")
    document(first, "Hồ sơ mật", added_by=clerk, confidentiality="mat")
    an = new_delegate(meeting, "Nguyễn Văn An")
    binh = new_delegate(meeting, "Trần Thị Bình")

    with transaction.atomic():
        packet = packet_request_build(meeting=meeting, actor=clerk, reason="Lần đầu")
        time.sleep(0.3)
        assert Packet.objects.get(pk=packet.pk).status == PacketStatus.BUILDING  # nothing before the commit

    assert wait_for(lambda: Packet.objects.get(pk=packet.pk).status != PacketStatus.BUILDING, timeout=90)
    packet.refresh_from_db()
    assert packet.status == PacketStatus.READY, packet.message
    assert wait_for(lambda: DelegateCopy.objects.filter(packet=packet).count() == 2, timeout=60)
    for invitation in (an, binh):
        copy = DelegateCopy.objects.get(packet=packet, invitation=invitation)
        texts = page_texts(read_pdf(copy.file))
        assert len(texts) == packet.page_count
        assert all(copy.stamp_text in text and invitation.name in text for text in texts)
    assert Notification.objects.filter(kind="meeting_packet", recipient__in=[an.user, binh.user]).count() == 2
    assert not OutboxMessage.objects.exists()
