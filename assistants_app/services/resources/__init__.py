"""One class per API resource, laid out like the official SDK's `client.beta.*`."""

from .assistants import Assistants
from .files import Files
from .models import Models
from .threads import Messages, Runs, Steps, Threads
from .vector_stores import FileBatches, VectorStoreFiles, VectorStores

__all__ = [
    "Assistants",
    "FileBatches",
    "Files",
    "Messages",
    "Models",
    "Runs",
    "Steps",
    "Threads",
    "VectorStoreFiles",
    "VectorStores",
]
