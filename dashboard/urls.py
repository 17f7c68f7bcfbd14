from django.contrib import admin
from django.urls import include, path

from orders_app.views.auth import login_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", login_view, name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("orders_app.urls")),
]
