from django.apps import AppConfig


class AssistantsAppConfig(AppConfig):
    name = "assistants_app"
    verbose_name = "Assistant Studio"
