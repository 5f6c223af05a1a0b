"""The creator's bonus page: invitations, enrolled programmes, estimates, awards and receipts.

Every page answers 404 to anyone but the creator concerned (anonymous visitors, brands, other
creators): whether a bonus exists is itself confidential.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bonuses.models import Programme
from bonuses.selectors import (
    award_explained,
    award_get_for_creator,
    award_list_for_creator,
    creator_for_bonus,
    enrolment_views,
    formula_current,
    invitation_list_for_creator,
    programme_get_for_creator,
    programmes_open_for_creator,
    receipt_lines,
    terms_plain,
    tips_for_creator,
)
from bonuses.services import interest_register, invitation_accept, invitation_decline
from common.errors import ApplicationError, NotFoundError
from creators.models import CreatorProfile


def bonus_creator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The signed-in creator is passed to the view; everyone else gets a 404 (not a login page)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            creator = creator_for_bonus(user=request.user)
            return view(request, creator, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404 from exc

    return wrapped


@bonus_creator_required
def bonus_home(request: HttpRequest, creator: CreatorProfile) -> HttpResponse:
    return render(
        request,
        "bonuses/home.html",
        {
            "creator": creator,
            "invitations": invitation_list_for_creator(creator=creator),
            "enrolments": enrolment_views(creator=creator),
            "awards": award_list_for_creator(creator=creator)[:50],
            "tips": tips_for_creator(creator=creator),
            "open_programmes": programmes_open_for_creator(creator=creator),
        },
    )


@bonus_creator_required
def programme_detail(request: HttpRequest, creator: CreatorProfile, programme_id: int) -> HttpResponse:
    programme: Programme = programme_get_for_creator(creator=creator, programme_id=programme_id)
    enrolment = programme.enrolments.filter(creator=creator).select_related("formula_version").first()
    version = enrolment.formula_version if enrolment else formula_current(programme=programme)
    terms = terms_plain(programme=programme, version=version, country=creator.country) if version else []
    invitation = programme.invitations.filter(creator=creator).first()
    return render(
        request,
        "bonuses/programme.html",
        {"programme": programme, "terms": terms, "invitation": invitation, "enrolment": enrolment},
    )


def _answer(request: HttpRequest, creator: CreatorProfile, invitation_id: int, accept: bool) -> HttpResponse:
    try:
        if accept:
            enrolment = invitation_accept(invitation_id=invitation_id, creator=creator)
            messages.success(
                request,
                _("You joined %(programme)s. Posts you publish from now on count.")
                % {"programme": enrolment.programme.name},
            )
        else:
            invitation_decline(invitation_id=invitation_id, creator=creator)
            messages.info(request, _("Invitation declined."))
    except NotFoundError as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("bonuses:home")


@bonus_creator_required  # outermost: others get 404 before any 405
@require_POST
def invitation_accept_view(request: HttpRequest, creator: CreatorProfile, invitation_id: int) -> HttpResponse:
    return _answer(request, creator, invitation_id, accept=True)


@bonus_creator_required  # outermost: others get 404 before any 405
@require_POST
def invitation_decline_view(
    request: HttpRequest, creator: CreatorProfile, invitation_id: int
) -> HttpResponse:
    return _answer(request, creator, invitation_id, accept=False)


@bonus_creator_required
def award_detail(request: HttpRequest, creator: CreatorProfile, award_id: int) -> HttpResponse:
    award = award_get_for_creator(creator=creator, award_id=award_id)
    return render(
        request,
        "bonuses/award.html",
        {"award": award, "explained": award_explained(award=award), "lines": receipt_lines(award=award)},
    )


@bonus_creator_required  # outermost: others get 404 before any 405
@require_POST
def interest_register_view(request: HttpRequest, creator: CreatorProfile, programme_id: int) -> HttpResponse:
    try:
        interest_register(programme_id=programme_id, creator=creator)
    except NotFoundError as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you: the team will look at your profile."))
    return redirect("bonuses:home")
