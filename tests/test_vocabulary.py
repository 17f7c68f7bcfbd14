"""The one vocabulary: statuses, their labels and fallbacks, the wall's words, channel names."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from orders_app.vocabulary import (
    DEFAULT_STATUS_LABELS,
    ORDER_STATUSES,
    STAGES,
    order_stage,
    order_type_label,
    stage_choices,
    status_choices,
    status_label,
    status_labels_from,
    wall_channel_label,
    wall_column_label,
)


def test_the_default_labels_cover_every_known_status(settings):
    settings.STATUS_LABELS = {}
    assert {status: status_label(status) for status in ORDER_STATUSES} == {
        "PENDING": "New",
        "RECEIVED": "Accepted",
        "IGNORE": "Ignored",
        "DELIVERED": "Delivered",
    }
    # The README's form of the default is the same words.
    assert status_labels_from(DEFAULT_STATUS_LABELS) == {
        status: status_label(status) for status in ORDER_STATUSES
    }


def test_labels_from_the_environment_keep_only_the_entries_given(settings):
    labels = status_labels_from([" pending = Yeni ", "CANCELLED=Cancelled"])
    assert labels == {"PENDING": "Yeni", "CANCELLED": "Cancelled"}
    settings.STATUS_LABELS = labels
    assert status_label("PENDING") == "Yeni"
    assert status_label("RECEIVED") == "Accepted"  # the translated default, not Title case


@pytest.mark.parametrize("entry", ["PENDING", "PENDING=", "PENDING=  "])
def test_a_label_entry_without_a_label_is_refused(entry):
    with pytest.raises(ImproperlyConfigured, match="STATUS_LABELS entries look like"):
        status_labels_from([entry])


def test_a_status_reads_as_its_label_else_as_sent_else_unknown(settings):
    settings.STATUS_LABELS = status_labels_from(["CANCELLED=Cancelled", *DEFAULT_STATUS_LABELS])
    assert status_label("PENDING") == "New"
    assert status_label("CANCELLED") == "Cancelled"
    assert status_label("LUNCH") == "LUNCH"
    assert status_label("") == "Unknown"
    assert status_label("", missing="") == ""
    assert status_choices()[0] == ("PENDING", "New")


def test_the_wall_says_done_for_the_default_delivered_label_only(settings):
    assert wall_column_label("DELIVERED") == "Done"
    settings.STATUS_LABELS = {**settings.STATUS_LABELS, "DELIVERED": "Handed over"}
    assert wall_column_label("DELIVERED") == "Handed over"


def test_channel_names_for_the_wall_and_the_board():
    assert wall_channel_label(integration="", order_type="CALL_CENTER_ORDER") == "Call centre"
    assert wall_channel_label(integration="bolt_food", order_type="X") == "Bolt Food"
    assert wall_channel_label(integration="", order_type="") == ""
    assert order_type_label("CALL_CENTER_ORDER") == "Call centre order"
    assert order_type_label("WOLT_ORDER") == "Wolt order"
    assert order_type_label("BOLT_FOOD_ORDER") == "Bolt food order"
    assert order_type_label("TABLE") == "Table"
    assert order_type_label("call_center_new") == "call_center_new"


@pytest.mark.parametrize(
    ("status", "receipt_status", "order_status", "stage"),
    [
        ("PENDING", None, None, "new"),
        ("RECEIVED", None, None, "accepted"),
        ("RECEIVED", 1, "NEW", "accepted"),
        ("RECEIVED", 1, "SCHEDULED", "scheduled"),
        ("RECEIVED", 1, "IN_PROGRESS", "preparing"),
        ("RECEIVED", 1, "in_progress", "preparing"),
        ("RECEIVED", 1, "READY", "ready"),
        ("RECEIVED", 1, "PICKED_UP", "done"),
        ("RECEIVED", 1, "COMPLETED", "done"),
        ("RECEIVED", 1, "CANCELLED", "cancelled"),
        ("RECEIVED", 2, "NEW", "done"),  # the POS never wrote order_status: closed is done
        ("RECEIVED", 2, "READY", "done"),
        ("RECEIVED", 2, "CANCELLED", "cancelled"),
        ("RECEIVED", 1, "SOMETHING_NEW", "accepted"),
        ("RECEIVED", 1, None, "accepted"),
        ("DELIVERED", None, None, "done"),
        ("DELIVERED", 1, "IN_PROGRESS", "done"),
        ("IGNORE", None, None, "ignored"),
        ("IGNORE", 1, "READY", "ignored"),
        ("", 1, "IN_PROGRESS", "preparing"),  # a table's receipt, no API order
        ("", 2, None, "done"),
        ("LUNCH", None, None, ""),
    ],
)
def test_every_order_and_receipt_combination_has_one_stage(
    status, receipt_status, order_status, stage
):
    assert (
        order_stage(status=status, receipt_status=receipt_status, receipt_order_status=order_status)
        == stage
    )
    assert stage == "" or stage in STAGES


def test_stage_labels_read_in_the_kitchens_order():
    assert [label for _stage, label in stage_choices()][:5] == [
        "New",
        "Accepted",
        "Scheduled",
        "Preparing",
        "Ready",
    ]
