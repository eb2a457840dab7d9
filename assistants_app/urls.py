from django.urls import path

from .views import home, setup

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("setup/", setup.first_run, name="setup"),
]
