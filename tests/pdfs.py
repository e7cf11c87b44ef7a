"""Small PDFs written byte by byte for the figure tests: a page with a drawn chart and its
caption, a page of text only, and broken variants of them."""

from __future__ import annotations

LETTER = (612, 792)

# A bar chart drawn with vector paths (no embedded image), with axis labels, and its caption
# below it: the layout of a figure in a one-column paper.
CHART_PAGE = """
BT /F1 11 Tf 72 740 Td (A Paper About Bars) Tj ET
BT /F1 9 Tf 72 716 Td (Body text before the figure describes the method in plain words.) Tj ET
0 0 0 RG 1 w 160 460 m 160 640 l S 160 460 m 460 460 l S
0.2 0.4 0.8 rg 180 460 40 120 re f 240 460 40 160 re f 300 460 40 80 re f 360 460 40 140 re f
0.8 0.3 0.2 rg 420 460 30 60 re f
BT /F1 8 Tf 170 448 Td (a) Tj 60 0 Td (b) Tj 60 0 Td (c) Tj 60 0 Td (d) Tj 60 0 Td (e) Tj ET
BT /F1 9 Tf 72 420 Td (Figure 1: Five bars drawn as vector paths, the tallest one second.) Tj ET
BT /F1 9 Tf 72 408 Td (The caption goes on over a second line.) Tj ET
BT /F1 9 Tf 72 370 Td (Body text after the figure, with a mention of Figure 1 in it.) Tj ET
"""

TEXT_PAGE = """
BT /F1 11 Tf 72 740 Td (A Paper Without Pictures) Tj ET
BT /F1 9 Tf 72 716 Td (Only words here: no figure, no table, nothing drawn.) Tj ET
BT /F1 9 Tf 72 704 Td (As Figure 2 of another paper shows, words can be enough.) Tj ET
"""


def make_pdf(*pages: str) -> bytes:
    """A valid PDF with one page per content stream, in Helvetica."""
    objects: list[bytes] = []
    n_pages = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    font_id = 3 + 2 * n_pages
    for i, content in enumerate(pages):
        stream = content.strip().encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {LETTER[0]} {LETTER[1]}]"
            f" /Resources << /Font << /F1 {font_id} 0 R >> >> /Contents {4 + 2 * i} 0 R >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def encrypted(pdf: bytes, password: str = "secret") -> bytes:
    """The same PDF, encrypted so that it opens only with a password."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
