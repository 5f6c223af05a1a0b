"""OpenAPI schema generation tuned to the one-view-per-operation style."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer, direction) -> str:
        """Name nested serializers after their view: SignupApi.InputSerializer → SignupApiInput.

        Every view has its own InputSerializer and OutputSerializer (CONVENTIONS.md); named by
        their class alone they would collide in the schema's components.
        """
        qualname = serializer.__class__.__qualname__
        if "." in qualname:
            return qualname.replace(".", "")
        return super().get_serializer_name(serializer, direction)
