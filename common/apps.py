from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("Common")

    def ready(self) -> None:
        from common import lookups  # noqa: F401  registers the has_item JSON lookup
        from common.db import connect_signals

        connect_signals()
