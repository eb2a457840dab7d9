app_name = "engine"

urlpatterns: list = []
