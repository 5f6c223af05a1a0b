"""The navigation's link to the brand home, for brand members (one small query per page)."""

from django import template
from django.urls import reverse

from marketplace.models import BrandMembership

register = template.Library()


@register.simple_tag
def brand_home_url(user) -> str:
    """The home of the first brand (by name) the user is a member of, or "" for everyone else."""
    if not getattr(user, "is_authenticated", False):
        return ""
    brand_id = (
        BrandMembership.objects.filter(user=user)
        .order_by("brand__name", "brand_id")
        .values_list("brand_id", flat=True)
        .first()
    )
    return reverse("marketplace:brand-dashboard", kwargs={"brand_id": brand_id}) if brand_id else ""
