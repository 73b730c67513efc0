"""Real-looking French administrative documents, generated: for tests and the benchmark.

The PDF writer is a few lines of the PDF format itself (Helvetica, WinAnsi text, an outline
for the headings), so no PDF library is needed to make one and the files are the same on
every machine. DOCX and ODT are written with the libraries that read them.
"""

from __future__ import annotations

import io
import random

# A circular as an agent receives it: numbered headings, paragraphs, and personal data in
# the body (which the privacy gate must mask before anything is stored or sent).
CIRCULAR = [
    (
        "1. Objet de la circulaire",
        [
            "La présente circulaire précise les modalités d'instruction des demandes d'aide "
            "exceptionnelle au relogement déposées auprès de la direction départementale.",
            "Elle s'applique aux demandes reçues à compter du premier janvier et remplace les "
            "instructions antérieures relatives au fonds de solidarité logement.",
        ],
    ),
    (
        "2. Pièces justificatives",
        [
            "Le demandeur joint un justificatif de domicile de moins de trois mois, le dernier "
            "avis d'imposition et une attestation de la caisse d'allocations familiales.",
            "Le dossier de Madame Sophie Marchetti, demeurant 14 rue des Glycines à Valence, "
            "numéro de sécurité sociale 2 84 05 26 198 044 17, sert d'exemple de dossier complet.",
        ],
    ),
    (
        "3. Délai d'instruction",
        [
            "Le service instructeur dispose d'un délai de quarante-cinq jours calendaires pour "
            "notifier sa décision au demandeur.",
            "Passé ce délai, le silence gardé par l'administration vaut décision de rejet ; le "
            "demandeur peut former un recours gracieux dans un délai de deux mois.",
        ],
    ),
    (
        "4. Montant de l'aide",
        [
            "Le montant de l'aide exceptionnelle au relogement est plafonné à mille deux cents "
            "euros par foyer et ne peut être versé qu'une fois par période de vingt-quatre mois.",
            "Le versement intervient directement auprès du bailleur par virement.",
        ],
    ),
]

_WORDS = (
    "demande dossier instruction délai pièce justificatif allocation logement bailleur "
    "décision recours notification service usager commune préfecture arrêté article "
    "montant versement plafond ressources foyer attestation commission examen procédure "
    "agent guichet formulaire signature dépôt enregistrement contrôle conformité barème"
).split()


def paragraphs(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sentences = []
        for _ in range(rng.randint(3, 5)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(10, 18))]
            sentences.append(" ".join(words).capitalize() + ".")
        out.append(" ".join(sentences))
    return out


# --------------------------------------------------------------------------- PDF


def _pdf_text(text: str) -> bytes:
    raw = text.encode("cp1252", "replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _utf16(text: str) -> bytes:
    return b"<" + ("\ufeff" + text).encode("utf-16-be").hex().upper().encode() + b">"


def _wrap(text: str, width: int = 95) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def make_pdf(pages: list[list[tuple[str, str]]], *, scanned: bool = False) -> bytes:
    """A PDF: each page a list of (kind, text), kind "h" (heading, in the outline) or "p".

    ``scanned``: pages carry only a grey image, no text (what a scanner without OCR makes).
    """
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in at the end
    page_tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold = add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    image = 0
    if scanned:
        pixels = bytes([200, 180, 220, 160] * 1024)
        image = add(
            b"<< /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Length %d >>\nstream\n" % len(pixels) + pixels + b"\nendstream"
        )
    page_ids: list[int] = []
    outline: list[tuple[str, int]] = []
    for items in pages:
        ops = [b"BT", b"14 TL", b"50 790 Td"]
        if scanned:
            ops = [b"q 495 0 0 700 50 80 cm /Im1 Do Q"]
        else:
            for kind, text in items:
                if kind == "h":
                    ops += [b"/F2 13 Tf", _pdf_text(text) + b" Tj", b"T*", b"/F1 10 Tf"]
                else:
                    ops += [b"/F1 10 Tf"]
                    ops += [_pdf_text(line) + b" Tj T*" for line in _wrap(text)]
                    ops += [b"T*"]
            ops.append(b"ET")
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        resources = b"<< /Font << /F1 %d 0 R /F2 %d 0 R >>" % (font, bold)
        if scanned:
            resources += b" /XObject << /Im1 %d 0 R >>" % image
        page = add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources %s >> "
            b"/Contents %d 0 R >>" % (page_tree, resources, content)
        )
        page_ids.append(page)
        outline += [(text, page) for kind, text in items if kind == "h" and not scanned]
    kids = b" ".join(b"%d 0 R" % p for p in page_ids)
    objects[page_tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    catalog_body = b"<< /Type /Catalog /Pages %d 0 R" % page_tree
    if outline:
        root = add(b"")
        first = len(objects) + 1
        ids = list(range(first, first + len(outline)))
        for i, (title, page) in enumerate(outline):
            links = b""
            if i > 0:
                links += b" /Prev %d 0 R" % ids[i - 1]
            if i < len(outline) - 1:
                links += b" /Next %d 0 R" % ids[i + 1]
            add(
                b"<< /Title %s /Parent %d 0 R%s /Dest [%d 0 R /XYZ 0 842 0] >>"
                % (_utf16(title), root, links, page)
            )
        objects[root - 1] = b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (
            ids[0],
            ids[-1],
            len(ids),
        )
        catalog_body += b" /Outlines %d 0 R /PageMode /UseOutlines" % root
    objects[catalog - 1] = catalog_body + b" >>"

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, catalog, xref)
    )
    return out.getvalue()


def circular_pdf(filler_pages: int = 0, seed: int = 1) -> bytes:
    """The circular, one section per page, then ``filler_pages`` pages of annexes."""
    pages: list[list[tuple[str, str]]] = [
        [("h", "Circulaire relative à l'aide exceptionnelle au relogement")]
        + [("h", heading)]
        + [("p", p) for p in body]
        for heading, body in CIRCULAR[:1]
    ]
    pages += [[("h", heading)] + [("p", p) for p in body] for heading, body in CIRCULAR[1:]]
    for i in range(filler_pages):
        items: list[tuple[str, str]] = []
        if i % 5 == 0:
            items.append(("h", f"Annexe {i // 5 + 1}. Tableau de suivi {i // 5 + 1}"))
        items += [("p", p) for p in paragraphs(seed * 1000 + i, 5)]
        pages.append(items)
    return make_pdf(pages)


def scanned_pdf(pages: int = 2) -> bytes:
    return make_pdf([[("p", "")]] * pages, scanned=True)


def encrypted_pdf(password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(circular_pdf())))
    writer.encrypt(user_password=password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------- DOCX, ODT


def circular_docx(sections: list[tuple[str, list[str]]] = CIRCULAR) -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Circulaire relative à l'aide exceptionnelle au relogement", level=1)
    for heading, body in sections:
        document.add_heading(heading, level=2)
        for paragraph in body:
            document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def circular_odt(sections: list[tuple[str, list[str]]] = CIRCULAR) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(
        H(outlinelevel=1, text="Circulaire relative à l'aide exceptionnelle au relogement")
    )
    for heading, body in sections:
        document.text.addElement(H(outlinelevel=2, text=heading))
        for paragraph in body:
            document.text.addElement(P(text=paragraph))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def circular_markdown(sections: list[tuple[str, list[str]]] = CIRCULAR) -> str:
    parts = ["# Circulaire relative à l'aide exceptionnelle au relogement"]
    for heading, body in sections:
        parts.append(f"## {heading}")
        parts += body
    return "\n\n".join(parts) + "\n"


def circular_html(sections: list[tuple[str, list[str]]] = CIRCULAR) -> str:
    body = "".join(
        f"<h2>{heading}</h2>" + "".join(f"<p>{p}</p>" for p in paragraphs_)
        for heading, paragraphs_ in sections
    )
    return (
        "<!doctype html><html><head><title>Circulaire</title><script>alert(1)</script></head>"
        "<body><h1>Circulaire relative à l'aide exceptionnelle au relogement</h1>"
        f"{body}</body></html>"
    )
