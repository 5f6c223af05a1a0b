from django.urls import path

from notifications import apis

app_name = "notifications-api"

urlpatterns = [
    path("notifications/", apis.NotificationListApi.as_view(), name="list"),
    path("notifications/read-all/", apis.NotificationReadAllApi.as_view(), name="read-all"),
    path("notifications/preferences/", apis.NotificationPreferencesApi.as_view(), name="preferences"),
    path("notifications/<int:notification_id>/read/", apis.NotificationReadApi.as_view(), name="read"),
]
