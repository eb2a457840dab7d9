from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "engine.files"
    label = "engine_files"
    verbose_name = "Built-in engine: files and vector stores"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the receivers
