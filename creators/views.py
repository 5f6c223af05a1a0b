"""Web pages: sign-up and account settings, the creator dashboard, public creator pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from common.errors import ApplicationError
from common.forms import form_save
from common.security import rate_limit
from creators.forms import AccountSettingsForm, CreatorEditForm, CreatorProfileForm, LoginForm, SignupForm
from creators.home import PERIODS, creator_home_get, period_parse
from creators.home_charts import SOURCE_COLOURS, earnings_chart_svg
from creators.selectors import (
    creator_get_for_user,
    creator_get_public,
    post_list_for_creator,
    user_from_request,
)
from creators.services import (
    creator_become,
    creator_switch_to_professional,
    creator_update,
    user_create,
    user_update,
)
from payments.enums import CommissionSource

RECENT_POSTS = 12


def _language_cookie(response: HttpResponse, language: str) -> HttpResponse:
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@method_decorator(rate_limit(group="login", setting="RATELIMIT_LOGIN"), name="post")
class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        return _language_cookie(response, form.get_user().preferred_language)


@rate_limit(group="signup", setting="RATELIMIT_SIGNUP")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("creators:dashboard")
    form = SignupForm(request.POST or None, initial={"preferred_language": request.LANGUAGE_CODE})
    user = form_save(
        request, form, lambda data: user_create(**data), success=_("Welcome! Your account is ready.")
    )
    if user is not None:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return _language_cookie(redirect("creators:dashboard"), user.preferred_language)
    return render(request, "registration/signup.html", {"form": form})


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = AccountSettingsForm(
        request.POST or None,
        initial={
            "display_name": user.display_name,
            "preferred_language": user.preferred_language,
            "country": user.country,
        },
    )
    if form_save(
        request, form, lambda data: user_update(user=user, **data), success=_("Your settings are saved.")
    ):
        return _language_cookie(redirect("accounts:settings"), user.preferred_language)
    return render(request, "registration/settings.html", {"form": form})


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switcher: Django's set_language (cookie, safe `next`), and the account's preference.

    Saving it on the account matters: PreferredLanguageMiddleware lets a signed-in user's saved
    language win over the cookie, so a switch that only set the cookie would not stick.
    """
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        raise Http404
    if request.user.is_authenticated:
        user_update(user=request.user, preferred_language=language)
    if not request.POST.get("next"):
        # Without `next`, set_language would fall back to the Referer; home is more predictable.
        request.POST = request.POST.copy()
        request.POST["next"] = "/"
    return set_language(request)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The creator home: earnings by source, balances and the next payout, a to-do list and the
    first-run checklist (creators.home), then recent posts. Non-creators are invited to start."""
    home = creator_home_get(user=user_from_request(request), days=period_parse(request.GET.get("days")))
    if home is None:
        return render(request, "creators/dashboard.html", {"creator": None})
    posts = post_list_for_creator(creator=home.creator)[:RECENT_POSTS]
    charts = [(series, earnings_chart_svg(series)) for series in home.earnings]
    context = {
        "creator": home.creator,
        "home": home,
        "charts": charts,
        "periods": PERIODS,
        "source_legend": [(value, label, SOURCE_COLOURS[value]) for value, label in CommissionSource.choices],
        "posts": posts,
    }
    return render(request, "creators/dashboard.html", context)


@login_required
def creator_start(request: HttpRequest) -> HttpResponse:
    if creator_get_for_user(user=request.user):
        return redirect("creators:dashboard")
    form = CreatorProfileForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "display_name": request.user.display_name,
            "country": request.user.country,
        },
    )
    welcome = _("You are a creator now. Welcome aboard!")
    if form_save(request, form, lambda data: creator_become(user=request.user, **data), success=welcome):
        return redirect("creators:dashboard")
    return render(request, "creators/creator_start.html", {"form": form})


@login_required
def creator_edit(request: HttpRequest) -> HttpResponse:
    creator = creator_get_for_user(user=request.user)
    if creator is None:
        return redirect("creators:start")
    form = CreatorEditForm(
        request.POST or None,
        request.FILES or None,
        initial={
            "display_name": creator.display_name,
            "country": creator.country,
            "bio": creator.bio,
            "niches": creator.niches,
            "languages": ", ".join(creator.languages),
            "is_adult": creator.is_adult,
        },
    )
    if form_save(
        request,
        form,
        lambda data: creator_update(creator=creator, **data),
        success=_("Your profile is saved."),
    ):
        return redirect("creators:dashboard")
    return render(request, "creators/creator_edit.html", {"form": form, "creator": creator})


@login_required
@require_POST
def creator_go_professional(request: HttpRequest) -> HttpResponse:
    creator = creator_get_for_user(user=request.user)
    if creator is None:
        raise PermissionDenied
    try:
        creator_switch_to_professional(creator=creator)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your account is now a professional account."))
    return redirect("creators:dashboard")


def creator_public(request: HttpRequest, handle: str) -> HttpResponse:
    try:
        creator = creator_get_public(handle=handle)
    except ApplicationError as exc:
        raise Http404 from exc
    if handle != creator.handle:
        return redirect(reverse("creator-public", kwargs={"handle": creator.handle}), permanent=True)
    posts = post_list_for_creator(creator=creator)[:RECENT_POSTS]
    return render(request, "creators/creator_public.html", {"creator": creator, "posts": posts})
