"""URLs of the Files and Vector stores pages and of a chat's files; included by
assistants_app/urls.py."""

from django.urls import path

from .views import files, vector_stores

urlpatterns = [
    # Files
    path("files/", files.file_list, name="file_list"),
    path("files/upload/", files.file_upload, name="file_upload"),
    path("files/<str:file_id>/content/", files.file_content, name="file_content"),
    path("files/<str:file_id>/delete/", files.file_delete, name="file_delete"),
    path("threads/<int:pk>/files/<str:file_id>/", files.thread_file, name="thread_file"),
    # Vector stores
    path("vector-stores/", vector_stores.store_list, name="vector_store_list"),
    path("vector-stores/new/", vector_stores.store_create, name="vector_store_create"),
    path("vector-stores/<str:store_id>/", vector_stores.store_detail, name="vector_store_detail"),
    path(
        "vector-stores/<str:store_id>/status/",
        vector_stores.store_status,
        name="vector_store_status",
    ),
    path(
        "vector-stores/<str:store_id>/files/",
        vector_stores.store_add_files,
        name="vector_store_add_files",
    ),
    path(
        "vector-stores/<str:store_id>/files/<str:file_id>/remove/",
        vector_stores.store_remove_file,
        name="vector_store_remove_file",
    ),
    path(
        "vector-stores/<str:store_id>/delete/",
        vector_stores.store_delete,
        name="vector_store_delete",
    ),
]
