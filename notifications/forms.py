from typing import Any

from django import forms

from notifications.enums import NotificationType


class PreferencesForm(forms.Form):
    """One checkbox per type of notification: "also email me about …"."""

    def __init__(self, *args: Any, current: dict[str, bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for type_ in NotificationType:
            self.fields[type_.value] = forms.BooleanField(
                label=type_.label, required=False, initial=current.get(type_.value, True)
            )

    def email_choices(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name in self.fields}
