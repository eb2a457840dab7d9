from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from assistants_app import urls as dashboard_urls
from assistants_app.access import members_only

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("v1/", include("engine.urls")),
    # Every dashboard page needs a role (assistants_app/access.py), whichever module serves it.
    path("", include(members_only(dashboard_urls.urlpatterns))),
]
