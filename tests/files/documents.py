"""Small documents of every supported type, made by the tests themselves."""

from __future__ import annotations

import io
import json


def pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF whose text pypdf can extract (Helvetica, one line per entry)."""
    text = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
        for line in lines
    )
    stream = text + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def docx(paragraphs: list[str]) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pptx(slides: list[str]) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    for text in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[6])  # blank
        box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(2))
        box.text_frame.text = text
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def of_type(kind: str, sentence: str) -> bytes:
    """A small file of `kind` (an extension) whose text includes `sentence`."""
    filler = "This paragraph is here so that the document has more than one thing in it."
    if kind == ".pdf":
        return pdf([filler, sentence])
    if kind == ".docx":
        return docx([filler, sentence])
    if kind == ".pptx":
        return pptx([filler, sentence])
    if kind == ".html":
        return (
            f"<html><head><title>Doc</title><style>p {{color: red}}</style></head><body>"
            f"<p>{filler}</p><script>var hidden = 'scriptword';</script><p>{sentence}</p>"
            "</body></html>"
        ).encode()
    if kind == ".json":
        return json.dumps({"intro": filler, "fact": sentence}).encode()
    if kind == ".csv":
        return f'topic,text\nfiller,"{filler}"\nfact,"{sentence}"\n'.encode()
    if kind == ".md":
        return f"# Notes\n\n{filler}\n\n- {sentence}\n".encode()
    return f"{filler}\n\n{sentence}\n".encode()
