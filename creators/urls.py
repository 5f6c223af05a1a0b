from django.urls import path

from creators import views

app_name = "creators"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("become-a-creator/", views.creator_start, name="start"),
    path("profile/", views.creator_edit, name="edit"),
    path("professional/", views.creator_go_professional, name="go-professional"),
]
