"""Admin for wall kiosk keys: list, create (the URL is shown once), revoke, and whether a key's
screens may bump tickets (the one thing that can change on a key). Never the key or hash."""

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
    wall_keys_set_bump,
)

BUMP_HELP = _(
    "Its screens may bump tickets (with WALL_BUMP on), writing their progress to Clopos. "
    "Off: the wall stays read-only."
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
        fields = ["name", "can_bump"]
        help_texts = {"can_bump": BUMP_HELP}


class WallKeyChangeForm(forms.ModelForm):
    """An existing key: only ``can_bump`` changes (the name and times are read-only)."""

    class Meta:
        model = WallKey
        fields = ["can_bump"]
        help_texts = {"can_bump": BUMP_HELP}


@admin.register(WallKey)
class WallKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "can_bump", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "can_bump"]
    search_fields = ["name"]
    actions = ["revoke_keys", "allow_bumping", "stop_bumping"]
    form = WallKeyCreateForm
    fields = ["name", "can_bump"]
    readonly_fields: list[str] = []
    _shown = ["name", "state", "created_at", "last_used_at", "revoked_at"]

    @admin.display(description=_("State"))
    def state(self, obj: WallKey) -> str:
        return gettext("Revoked") if obj.revoked_at else gettext("Active")

    def get_form(self, request: HttpRequest, obj: WallKey | None = None, change=False, **kwargs):
        kwargs["form"] = WallKeyCreateForm if obj is None else WallKeyChangeForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: WallKey | None = None) -> list[str]:
        if obj is None:
            return ["name", "can_bump"]
        return [*self._shown, "can_bump"]

    def get_readonly_fields(self, request: HttpRequest, obj: WallKey | None = None) -> list[str]:
        if obj is None:
            return []
        return list(self._shown)

    def save_model(self, request: HttpRequest, obj: WallKey, form, change: bool) -> None:
        if change:
            # Nothing but can_bump changes on a key; its hash and times stay as they were.
            obj.save(update_fields=["can_bump"])
            return
        try:
            created = wall_key_create(
                name=form.cleaned_data["name"], can_bump=form.cleaned_data.get("can_bump", False)
            )
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

    @admin.action(description=_("Let selected kiosk keys bump tickets"))
    def allow_bumping(self, request: HttpRequest, queryset) -> None:
        self._set_bump(request, queryset, can_bump=True)

    @admin.action(description=_("Make selected kiosk keys read-only"))
    def stop_bumping(self, request: HttpRequest, queryset) -> None:
        self._set_bump(request, queryset, can_bump=False)

    def _set_bump(self, request: HttpRequest, queryset, *, can_bump: bool) -> None:
        count = wall_keys_set_bump(
            ids=list(queryset.values_list("id", flat=True)), can_bump=can_bump
        )
        message = (
            ngettext(
                "%(count)s kiosk key may now bump tickets.",
                "%(count)s kiosk keys may now bump tickets.",
                count,
            )
            if can_bump
            else ngettext(
                "%(count)s kiosk key is now read-only.",
                "%(count)s kiosk keys are now read-only.",
                count,
            )
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)
