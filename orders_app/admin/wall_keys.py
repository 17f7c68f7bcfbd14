"""Admin for wall kiosk keys: list, create (the URL is shown once), revoke. Never the key or hash."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from orders_app.models import WallKey
from orders_app.services.wall_keys import (
    NAME_MAX,
    WallKeyError,
    wall_key_create,
    wall_keys_revoke,
)


class WallKeyCreateForm(forms.ModelForm):
    name = forms.CharField(
        max_length=NAME_MAX,
        label=_("Name"),
        help_text=_(
            "Which screen this is, e.g. kitchen-pass. The kiosk URL is shown once, after saving."
        ),
    )

    class Meta:
        model = WallKey
        fields = ["name"]


@admin.register(WallKey)
class WallKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name"]
    actions = ["revoke_keys"]
    form = WallKeyCreateForm
    fields = ["name"]
    readonly_fields: list[str] = []

    @admin.display(description=_("State"))
    def state(self, obj: WallKey) -> str:
        return gettext("Revoked") if obj.revoked_at else gettext("Active")

    def get_fields(self, request: HttpRequest, obj: WallKey | None = None) -> list[str]:
        if obj is None:
            return ["name"]
        return ["name", "state", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: WallKey | None = None) -> list[str]:
        if obj is None:
            return []
        return ["name", "state", "created_at", "last_used_at", "revoked_at"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Viewable, never editable: a key is created or revoked, nothing else.
        return False

    def save_model(self, request: HttpRequest, obj: WallKey, form, change: bool) -> None:
        try:
            created = wall_key_create(name=form.cleaned_data["name"])
        except WallKeyError as exc:
            raise forms.ValidationError(str(exc)) from None
        obj.pk = created.wall_key.pk
        obj.refresh_from_db()
        # Kept on the request only, for response_add: never in a message cookie or the session.
        request._wall_kiosk_url = created.url(request.build_absolute_uri("/"))  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: WallKey, post_url_continue=None):
        url = getattr(request, "_wall_kiosk_url", None)
        if url is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Kiosk key %(name)s created") % {"name": repr(obj.name)},
            "wall_key": obj,
            "kiosk_url": url,
            "opts": self.opts,
        }
        response = TemplateResponse(request, "orders_app/wall_key_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke selected kiosk keys"))
    def revoke_keys(self, request: HttpRequest, queryset) -> None:
        count = wall_keys_revoke(ids=list(queryset.values_list("id", flat=True)))
        self.message_user(
            request,
            ngettext("Revoked %(count)s kiosk key.", "Revoked %(count)s kiosk keys.", count)
            % {"count": count},
            messages.SUCCESS,
        )
