"""The board's kitchen stages: a repeatable ``stage`` filter beside ``status``, and the stage
on each accepted order's row."""

from __future__ import annotations

import pytest

from tests.fixtures.orders import make_order, mark_synced

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("mgr", password="pw-long-123456"))


def listed(response) -> list[int]:
    body = response.content.decode()
    return [int(part.split('"', 1)[0]) for part in body.split('data-order-id="')[1:]]


def test_the_stage_filter_takes_one_or_several_stages(client, manager):
    cooking = make_order(status="RECEIVED", stage="preparing")
    ready = make_order(status="RECEIVED", stage="ready")
    make_order(status="PENDING", stage="new")
    mark_synced()
    assert listed(client.get("/?stage=preparing")) == [cooking.id]
    assert set(listed(client.get("/?stage=preparing&stage=ready"))) == {cooking.id, ready.id}
    assert listed(client.get("/?stage=ready&status=PENDING")) == []


def test_an_unknown_stage_is_a_form_error_not_a_500(client, manager):
    response = client.get("/?stage=burnt")
    assert response.status_code == 400  # the page, with the error in place of the list
    assert 'class="form-errors"' in response.content.decode()


def test_an_accepted_orders_row_shows_its_stage_and_every_row_carries_it(client, manager):
    make_order(id=801, status="RECEIVED", stage="ready")
    make_order(id=802, status="PENDING", stage="new")
    mark_synced()
    body = client.get("/").content.decode()
    assert 'data-order-id="801" data-stage="ready"' in body
    assert 'data-order-id="802" data-stage="new"' in body
    row_801 = body.split('data-order-id="801"', 1)[1].split("</tbody>", 1)[0]
    row_802 = body.split('data-order-id="802"', 1)[1].split("</tbody>", 1)[0]
    assert 'class="stage stage--ready"' in row_801
    assert 'class="stage ' not in row_802  # "New" twice would say nothing more


def test_the_stage_survives_paging_and_the_export_filters_the_same(client, manager):
    for _ in range(3):
        make_order(status="RECEIVED", stage="preparing")
    make_order(status="RECEIVED", stage="ready")
    mark_synced()
    body = client.get("/?stage=preparing").content.decode()
    assert "stage=preparing" in body  # the quick dates and pager keep it
    export = b"".join(client.get("/orders/export.csv?stage=preparing").streaming_content).decode()
    assert len(export.strip().splitlines()) == 1 + 3
