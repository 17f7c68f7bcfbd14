from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from orders_app.views.auth import login_view

urlpatterns = [
    # One login for everything, throttled: the admin's own login page redirects to it.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("accounts/login/", login_view, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password change for a logged-in manager; no password-reset pages (no mail is configured).
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # The language menu: a CSRF-protected POST that remembers the choice in a cookie.
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("orders_app.urls")),
]
