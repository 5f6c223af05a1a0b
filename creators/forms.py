from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from creators.enums import Niche
from creators.login_lockout import (
    login_failure_record,
    login_lockout_message,
    login_lockout_seconds_left,
    login_success_record,
)


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )

    def clean(self):
        # Emails are stored lowercase; accept any case the person types.
        if self.cleaned_data.get("username"):
            self.cleaned_data["username"] = self.cleaned_data["username"].lower()
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email and password:
            # Locked emails are refused before the password is even checked (creators.login_lockout).
            if seconds := login_lockout_seconds_left(email=email):
                raise self.lockout_error(seconds)
            self.user_cache = authenticate(self.request, username=email, password=password)
            if self.user_cache is None:
                if seconds := login_failure_record(email=email):
                    raise self.lockout_error(seconds)
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
            login_success_record(email=email)
        return self.cleaned_data

    @staticmethod
    def lockout_error(seconds: int) -> forms.ValidationError:
        return forms.ValidationError(login_lockout_message(seconds=seconds), code="locked")


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    display_name = forms.CharField(label=_("Your name"), max_length=80, required=False)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password."),
    )
    preferred_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class AccountSettingsForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=80, required=False)
    preferred_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    country = forms.CharField(label=_("Country (ISO code, e.g. JP)"), max_length=2, required=False)


class CreatorProfileForm(forms.Form):
    handle = forms.CharField(label=_("Handle"), max_length=30, help_text=_("Your public address: /@handle"))
    display_name = forms.CharField(label=_("Display name"), max_length=80)
    country = forms.CharField(label=_("Country (ISO code, e.g. KR)"), max_length=2)
    bio = forms.CharField(
        label=_("Bio"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    niches = forms.MultipleChoiceField(
        label=_("Niches"), choices=Niche.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.CharField(
        label=_("Languages you create in (codes, comma-separated)"), required=False, max_length=100
    )
    avatar = forms.FileField(label=_("Avatar"), required=False)
    is_adult = forms.BooleanField(label=_("I am 18 or older"), required=False)

    def clean_languages(self) -> list[str]:
        return [code.strip() for code in self.cleaned_data["languages"].split(",") if code.strip()]


class CreatorEditForm(CreatorProfileForm):
    """The same fields, but the handle is fixed once chosen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["handle"]
