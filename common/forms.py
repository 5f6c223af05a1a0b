from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from common.errors import ApplicationError

T = TypeVar("T")


def apply_application_error(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's error on the form: on the fields it names, else at the top."""
    placed = False
    for name, field_messages in error.fields.items():
        if name in form.fields:
            for message in field_messages or [error.message]:
                form.add_error(name, str(message))
            placed = True
    if not placed:
        form.add_error(None, error.message)


def form_save(
    request: HttpRequest, form: forms.Form, save: Callable[[dict[str, Any]], T], *, success: str
) -> T | None:
    """The web side of a service call: run `save` with a valid posted form.

    Returns what the service returned, after queueing the `success` message; None when the
    form was not posted or is invalid, or when the service refused (its error is then on the form).
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save(form.cleaned_data)
    except ApplicationError as error:
        apply_application_error(form, error)
        return None
    messages.success(request, success)
    return result
