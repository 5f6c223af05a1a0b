"""Anchor endpoints: the least a Django/DRF endpoint can do, measured in the same run.

They exist only in the benchmark server's URLconf (bench/urls.py), never in the product.
The API anchors are bare DRF: DRF's own JSONRenderer, not the product's default renderer
(common.renderers.FastJSONRenderer, which is part of what the product does to be fast).
"""

from django.http import HttpResponse, HttpResponseRedirect
from django.template import engines
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class BareOneQueryApi(APIView):
    """A bare DRF endpoint doing one query: one ORM values() query of 20 rows, as JSON.

    No filtering, validation, pagination or permissions beyond AllowAny: the floor that any
    list endpoint of the product stands on. The model is the one the benchmark lists.
    """

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def get(self, request: Request) -> Response:
        from creators.models import CreatorProfile

        rows = list(
            CreatorProfile.objects.values("id", "handle", "display_name", "country", "followers")[:20]
        )
        return Response({"results": rows})


class BareProductPageApi(APIView):
    """The floor under the product list: one ORM values() query of 50 products of one shop, as JSON.

    Same page size and the same shop filter (by slug, through the join) as the measured
    ``/api/v1/products/?shop=<slug>&page_size=50``, but no serializer, no image prefetch, no
    cursor and no filter validation: what a hand-tuned endpoint could not go below.
    """

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def get(self, request: Request) -> Response:
        from shops.models import Product

        rows = list(
            Product.objects.filter(shop__slug=request.query_params.get("shop", ""), status="active")
            .order_by("-created_at", "-id")
            .values("id", "title", "description", "type", "price_minor", "compare_at_minor", "created_at")[
                :50
            ]
        )
        return Response({"results": rows})


def bare_redirect(request):
    """A bare Django endpoint that returns a redirect (anchor for the affiliate redirect)."""
    return HttpResponseRedirect("/")


TINY_TEMPLATE = engines["django"].from_string(
    '<!doctype html><html lang="en"><title>{{ title }}</title><main><h1>{{ title }}</h1>'
    "<ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul></main></html>"
)


def bare_page(request):
    """A bare Django view rendering a tiny template (anchor for the page server times): the same
    middleware and context processors as every page, and nothing else."""
    return HttpResponse(TINY_TEMPLATE.render({"title": "Anchor", "items": range(3)}, request))
