"""Text out of an uploaded file, for file_search.

Plain-text formats are decoded (UTF-8, else the encoding a BOM names, else Latin-1); HTML loses
its tags, scripts and styles; JSON must parse; PDF, Word and PowerPoint go through pypdf,
python-docx and python-pptx. Anything else is refused with the API's `unsupported_file`, and a
file that cannot be read as what its name says with `invalid_file`, each with a message a
person can act on.
"""

from __future__ import annotations

import csv
import io
import json
import os
from html.parser import HTMLParser

PLAIN = {
    ".txt", ".md", ".markdown", ".rst", ".csv", ".tsv", ".log", ".tex", ".xml", ".yaml", ".yml",
    ".py", ".js", ".ts", ".java", ".c", ".h", ".cpp", ".hpp", ".cs", ".go", ".rs", ".rb", ".php",
    ".sh", ".css", ".sql", ".toml", ".ini",
}  # fmt: skip
SUPPORTED = PLAIN | {".html", ".htm", ".json", ".pdf", ".docx", ".pptx"}


class ExtractionError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # "unsupported_file" | "invalid_file"
        self.message = message


def extension(filename: str) -> str:
    return os.path.splitext(filename)[1].lower()


def extract(filename: str, data: bytes) -> str:
    """The text of `data`, read as the type its `filename` says."""
    kind = extension(filename)
    if kind not in SUPPORTED:
        shown = kind or "without an extension"
        raise ExtractionError(
            "unsupported_file",
            f"Files of type {shown} are not supported by file_search ({filename}). Supported: "
            ".txt, .md, .html, .json, .csv, .pdf, .docx, .pptx and source code files.",
        )
    readers = {".pdf": _pdf, ".docx": _docx, ".pptx": _pptx, ".json": _json, ".csv": _csv}
    reader = readers.get(kind, _html if kind in (".html", ".htm") else _plain)
    try:
        text = reader(data)
    except ExtractionError:
        raise
    except Exception as error:  # every library fails differently on a broken file
        raise ExtractionError(
            "invalid_file",
            f"{filename} could not be read as a {kind} file ({type(error).__name__}: "
            f"{str(error)[:200]}). It may be damaged, encrypted or mislabelled.",
        ) from error
    text = text.replace("\x00", "").strip()
    if not text:
        raise ExtractionError(
            "invalid_file",
            f"{filename} contains no text to search"
            + (" (a scanned PDF holds only images; run OCR first)." if kind == ".pdf" else "."),
        )
    return text


def decode(data: bytes) -> str:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError(
            "invalid_file", "The file holds binary data, not text (it contains NUL bytes)."
        )
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _plain(data: bytes) -> str:
    return decode(data)


def _json(data: bytes) -> str:
    text = decode(data)
    try:
        json.loads(text)
    except ValueError as error:
        raise ExtractionError("invalid_file", f"The file is not valid JSON: {error}.") from None
    return text


def _csv(data: bytes) -> str:
    text = decode(data)
    try:
        # Only to refuse what is not a table at all; the text is indexed as written.
        for _ in csv.reader(io.StringIO(text)):
            pass
    except csv.Error as error:
        raise ExtractionError("invalid_file", f"The file is not valid CSV: {error}.") from None
    return text


class _TextOfHtml(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "head"}
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
              "article", "table", "ul", "ol", "pre", "blockquote", "title"}  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _html(data: bytes) -> str:
    parser = _TextOfHtml()
    parser.feed(decode(data))
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise ExtractionError("invalid_file", "The PDF is encrypted; upload an unlocked copy.")
    return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)


def _docx(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _pptx(data: bytes) -> str:
    from pptx import Presentation

    slides = []
    for number, slide in enumerate(Presentation(io.BytesIO(data)).slides, start=1):
        texts = [
            shape.text_frame.text
            for shape in slide.shapes
            if shape.has_text_frame and shape.text_frame.text.strip()
        ]
        if texts:
            slides.append(f"Slide {number}\n" + "\n".join(texts))
    return "\n\n".join(slides)
