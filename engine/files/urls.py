"""/v1/files and /v1/vector_stores (included by engine/urls.py, before its catch-all)."""

from django.urls import path

from .views import files, vector_stores

VS = "vector_stores/<str:vector_store_id>"

urlpatterns = [
    path("files", files.files, name="files"),
    path("files/<str:file_id>", files.file, name="file"),
    path("files/<str:file_id>/content", files.content, name="file-content"),
    path("vector_stores", vector_stores.vector_stores, name="vector-stores"),
    path(VS, vector_stores.vector_store, name="vector-store"),
    path(f"{VS}/search", vector_stores.search_vector_store, name="vector-store-search"),
    path(f"{VS}/files", vector_stores.vector_store_files, name="vector-store-files"),
    path(f"{VS}/files/<str:file_id>", vector_stores.vector_store_file, name="vector-store-file"),
    path(
        f"{VS}/files/<str:file_id>/content",
        vector_stores.vector_store_file_content,
        name="vector-store-file-content",
    ),
    path(f"{VS}/file_batches", vector_stores.file_batches, name="file-batches"),
    path(f"{VS}/file_batches/<str:batch_id>", vector_stores.file_batch, name="file-batch"),
    path(
        f"{VS}/file_batches/<str:batch_id>/cancel",
        vector_stores.cancel_file_batch,
        name="file-batch-cancel",
    ),
    path(
        f"{VS}/file_batches/<str:batch_id>/files",
        vector_stores.file_batch_files,
        name="file-batch-files",
    ),
]
