from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "engine.files"
    label = "engine_files"
    verbose_name = "Built-in engine: files and vector stores"
