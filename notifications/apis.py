"""REST API of the notification centre, for the signed-in user's own notifications only.

Someone else's notification answers 404, like one that does not exist. Errors use the common shape.
"""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import parse
from common.pagination import DefaultCursorPagination
from creators.selectors import user_from_request
from notifications.enums import NotificationType
from notifications.models import Notification
from notifications.selectors import (
    notification_get_for_user,
    notification_list_for_user,
    notification_preferences_for_user,
    notification_unread_count,
)
from notifications.services import (
    notification_mark_read,
    notification_preferences_update,
    notifications_mark_all_read,
)


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=NotificationType.choices)
    type_label = serializers.CharField(source="get_type_display")
    title = serializers.CharField(help_text="In the request's language.")
    body = serializers.CharField(help_text="In the request's language; may be empty.")
    params = serializers.DictField(
        help_text="The values the title and body are made of, for native rendering."
    )
    url = serializers.SerializerMethodField(
        help_text="Where the notification leads on the website; may be empty."
    )
    is_read = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, notification: Notification) -> str:
        request = self.context.get("request")
        if not notification.url or request is None:
            return notification.url
        return request.build_absolute_uri(notification.url)


class NotificationListApi(APIView):
    """My notifications, newest first, with my unread count (for the app's badge)."""

    permission_classes = [IsAuthenticated]

    class FilterSerializer(serializers.Serializer):
        unread = serializers.BooleanField(required=False, default=False)

    class Pagination(DefaultCursorPagination):
        ordering = ("-created_at", "-id")

        def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
            paginated = super().get_paginated_response_schema(schema)
            paginated["properties"]["unread_count"] = {"type": "integer", "example": 3}
            paginated["required"] = [*paginated.get("required", []), "unread_count"]
            return paginated

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="Only the unread ones.")],
        responses=NotificationSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        user = user_from_request(request)
        filters = parse(self.FilterSerializer, request.query_params)
        paginator = self.Pagination()
        notifications = notification_list_for_user(user=user, unread_only=filters["unread"])
        page = paginator.paginate_queryset(notifications, request, view=self)
        response = paginator.get_paginated_response(
            NotificationSerializer(page, many=True, context={"request": request}).data
        )
        response.data["unread_count"] = notification_unread_count(user=user)
        return response


class NotificationReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, notification_id: int) -> Response:
        user = user_from_request(request)
        notification = notification_get_for_user(user=user, notification_id=notification_id)
        notification = notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification, context={"request": request}).data)


class NotificationReadAllApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        marked = serializers.IntegerField(help_text="How many notifications were unread.")
        unread_count = serializers.IntegerField()

    @extend_schema(request=None, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        user = user_from_request(request)
        marked = notifications_mark_all_read(user=user)
        return Response({"marked": marked, "unread_count": notification_unread_count(user=user)})


PreferenceOutput = inline_serializer(
    "NotificationPreference",
    {
        "type": serializers.ChoiceField(choices=NotificationType.choices),
        "label": serializers.CharField(),
        "email": serializers.BooleanField(),
    },
)


def _preferences_data(preferences: dict[str, bool]) -> dict[str, Any]:
    return {
        "preferences": [
            {"type": type_, "label": str(NotificationType(type_).label), "email": email}
            for type_, email in preferences.items()
        ]
    }


class NotificationPreferencesApi(APIView):
    """Which types of notification also come by email. Every type is listed; email is on by default.

    PUT sets the types it lists and leaves the others as they were.
    """

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class PreferenceSerializer(serializers.Serializer):
            type = serializers.ChoiceField(choices=NotificationType.choices)
            email = serializers.BooleanField()

        preferences = PreferenceSerializer(many=True, allow_empty=False)

    class OutputSerializer(serializers.Serializer):
        preferences = serializers.ListField(child=PreferenceOutput)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        preferences = notification_preferences_for_user(user=user_from_request(request))
        return Response(_preferences_data(preferences))

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request) -> Response:
        data = parse(self.InputSerializer, request.data)
        preferences = notification_preferences_update(
            user=user_from_request(request),
            email={item["type"]: item["email"] for item in data["preferences"]},
        )
        return Response(_preferences_data(preferences))
