from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.utils.decorators import method_decorator

from common.security import rate_limit
from creators import views

app_name = "accounts"

password_reset = method_decorator(
    rate_limit(group="password-reset", setting="RATELIMIT_PASSWORD_RESET"), name="post"
)(auth_views.PasswordResetView)

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("settings/", views.account_settings, name="settings"),
    path("language/", views.language_set, name="language"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("accounts:password-change-done")),
        name="password-change",
    ),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password-change-done"),
    path(
        "password/reset/",
        password_reset.as_view(
            success_url=reverse_lazy("accounts:password-reset-done"),
            email_template_name="registration/password_reset_email.txt",
        ),
        name="password-reset",
    ),
    path("password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password-reset-complete")
        ),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
]
