from django.urls import path

from creators import apis, home_apis

app_name = "creators-api"

urlpatterns = [
    path("auth/token/", apis.TokenObtainApi.as_view(), name="token-obtain"),
    path("auth/token/refresh/", apis.TokenRefreshApi.as_view(), name="token-refresh"),
    path("auth/logout/", apis.LogoutApi.as_view(), name="logout"),
    path("auth/signup/", apis.SignupApi.as_view(), name="signup"),
    path("me/", apis.MeApi.as_view(), name="me"),
    path("me/home/", home_apis.MyHomeApi.as_view(), name="my-home"),
    path("me/posts/", apis.MyPostListApi.as_view(), name="my-posts"),
    path("creators/", apis.CreatorListApi.as_view(), name="creator-list"),
    path("creators/<str:handle>/", apis.CreatorDetailApi.as_view(), name="creator-detail"),
    path("ingest/posts/", apis.PostIngestApi.as_view(), name="ingest-posts"),
    path("ingest/followers/", apis.FollowerIngestApi.as_view(), name="ingest-followers"),
]
