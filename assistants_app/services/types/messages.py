"""Messages, their content parts and annotations, their stream deltas, and their params."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .shared import (
    APIModel,
    DeletedObject,
    DeltaPart,
    ListParams,
    Metadata,
    NonEmpty,
    Params,
    Resource,
    Unknown,
    delta_of,
    one_of,
    tagged,
)

# The fallbacks of the unions below, by the names the SDK's layout gives them.
UnknownAnnotation = UnknownContentBlock = Unknown


class FileCitation(APIModel):
    file_id: str = ""
    quote: str | None = None


class FileCitationAnnotation(APIModel):
    type: Literal["file_citation"] = "file_citation"
    text: str = ""
    file_citation: FileCitation = Field(default_factory=FileCitation)
    start_index: int = 0
    end_index: int = 0


class FilePath(APIModel):
    file_id: str = ""


class FilePathAnnotation(APIModel):
    type: Literal["file_path"] = "file_path"
    text: str = ""
    file_path: FilePath = Field(default_factory=FilePath)
    start_index: int = 0
    end_index: int = 0


Annotation = one_of(FileCitationAnnotation, FilePathAnnotation)


class Text(APIModel):
    value: str = ""
    annotations: list[Annotation] = Field(default_factory=list)


class TextContentBlock(APIModel):
    type: Literal["text"] = "text"
    text: Text


class ImageFile(APIModel):
    file_id: str
    detail: str | None = None


class ImageFileContentBlock(APIModel):
    type: Literal["image_file"] = "image_file"
    image_file: ImageFile


class ImageURL(APIModel):
    url: str
    detail: str | None = None


class ImageURLContentBlock(APIModel):
    type: Literal["image_url"] = "image_url"
    image_url: ImageURL


class RefusalContentBlock(APIModel):
    type: Literal["refusal"] = "refusal"
    refusal: str = ""


MessageContent = one_of(
    TextContentBlock, ImageFileContentBlock, ImageURLContentBlock, RefusalContentBlock
)


class AttachmentTool(APIModel):
    type: str


class Attachment(APIModel):
    file_id: str | None = None
    tools: list[AttachmentTool] = Field(default_factory=list)


class MessageIncompleteDetails(APIModel):
    reason: str = ""


class Message(Resource):
    object: str = "thread.message"
    thread_id: str = ""
    status: Literal["in_progress", "incomplete", "completed"] | str | None = None
    incomplete_details: MessageIncompleteDetails | None = None
    completed_at: int | None = None
    incomplete_at: int | None = None
    role: Literal["user", "assistant"] | str = "user"
    content: list[MessageContent] = Field(default_factory=list)
    assistant_id: str | None = None
    run_id: str | None = None
    attachments: list[Attachment] | None = None
    metadata: dict[str, str] | None = Field(default_factory=dict)

    @property
    def text(self) -> str:
        """The message's text parts joined: what a chat pane shows."""
        return "\n\n".join(
            part.text.value for part in self.content if isinstance(part, TextContentBlock)
        )


# A text delta is written out: its annotations stay plain dicts until the message is complete.
class TextDelta(APIModel):
    value: str | None = None
    annotations: list[dict[str, Any]] | None = None


class TextDeltaBlock(DeltaPart):
    type: Literal["text"] = "text"
    text: TextDelta | None = None


ImageFileDeltaBlock = delta_of(ImageFileContentBlock, DeltaPart)
ImageURLDeltaBlock = delta_of(ImageURLContentBlock, DeltaPart)
RefusalDeltaBlock = delta_of(RefusalContentBlock, DeltaPart)
ImageFileDelta = delta_of(ImageFile)
ImageURLDelta = delta_of(ImageURL)


UnknownDeltaBlock = DeltaPart


MessageContentDelta = one_of(
    TextDeltaBlock, ImageFileDeltaBlock, ImageURLDeltaBlock, RefusalDeltaBlock, unknown=DeltaPart
)


class MessageDeltaBody(APIModel):
    role: str | None = None
    content: list[MessageContentDelta] | None = None


class MessageDelta(APIModel):
    id: str
    object: str = "thread.message.delta"
    delta: MessageDeltaBody = Field(default_factory=MessageDeltaBody)

    @property
    def text(self) -> str:
        """The text this delta adds (what a streaming chat pane appends)."""
        return "".join(
            part.text.value or ""
            for part in self.delta.content or []
            if isinstance(part, TextDeltaBlock) and part.text is not None
        )


class TextContentParam(Params):
    type: Literal["text"] = "text"
    text: NonEmpty


class ImageFileParam(Params):
    file_id: NonEmpty
    detail: Literal["auto", "low", "high"] | None = None


class ImageFileContentParam(Params):
    type: Literal["image_file"] = "image_file"
    image_file: ImageFileParam


class ImageURLParam(Params):
    url: NonEmpty
    detail: Literal["auto", "low", "high"] | None = None


class ImageURLContentParam(Params):
    type: Literal["image_url"] = "image_url"
    image_url: ImageURLParam


MessageContentParam = tagged(TextContentParam, ImageFileContentParam, ImageURLContentParam)


class AttachmentToolParam(Params):
    type: Literal["code_interpreter", "file_search"]


class AttachmentParam(Params):
    file_id: NonEmpty
    tools: list[AttachmentToolParam] = Field(default_factory=list)


class MessageCreateParams(Params):
    """A new message: the body of POST /threads/{id}/messages, and an item of `messages` /
    `additional_messages`."""

    role: Literal["user", "assistant"]
    content: NonEmpty | Annotated[list[MessageContentParam], Field(min_length=1)]
    attachments: list[AttachmentParam] | None = None
    metadata: Metadata | None = None


class MessageUpdateParams(Params):
    metadata: Metadata | None = None


class MessageListParams(ListParams):
    run_id: str | None = None


MessageDeleted = DeletedObject
