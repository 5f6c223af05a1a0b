from django import forms

from common.errors import ApplicationError


def apply_application_error(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's error on the form: on the fields it names, else at the top."""
    placed = False
    for name, messages in error.fields.items():
        if name in form.fields:
            for message in messages or [error.message]:
                form.add_error(name, str(message))
            placed = True
    if not placed:
        form.add_error(None, error.message)
