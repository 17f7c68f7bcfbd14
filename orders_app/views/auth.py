"""Login (throttled in issue 5's security work); for now Django's own view."""

from django.contrib.auth.views import LoginView

login_view = LoginView.as_view(redirect_authenticated_user=True)
