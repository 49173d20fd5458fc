#!/usr/bin/env python3
"""Regenerates the PDF samples of certs-example/pdf/ (drawn for the project, no third-party art).

    python3 -m venv /tmp/pdfgen && /tmp/pdfgen/bin/pip install reportlab pikepdf pillow
    /tmp/pdfgen/bin/python certs-example/pdf/make_samples.py [--font LiberationSerif-Regular.ttf]

Outputs (deterministic: reportlab `invariant`, pikepdf `deterministic_id`; the encrypted one has a random salt):
  signature.png         blue handwriting-like signature, transparent, 50 x 20 mm (pHYs 300 dpi)
  seal.png              red round seal of the Văn phòng UBND (the dispatch's unit), transparent, 40 mm (pHYs 300 dpi)
  cong-van.pdf          one-page Vietnamese dispatch, classic xref table (reportlab)
  cong-van-xref-stream.pdf   the same, rewritten with xref + object streams (pikepdf/qpdf)
  to-khai-form.pdf      a page with an AcroForm text field and a link annotation (classic xref)
  cong-van-encrypted.pdf     the dispatch encrypted (AES-256, empty user password)
The signature space on cong-van*.pdf page 1 is SIGNATURE_RECT_MM below (X,Y,W,H from top-left).
"""
import argparse
import math
import os
import random

from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
DPI = 300
MM = DPI / 25.4
SIGNATURE_RECT_MM = (115, 205, 65, 25)  # where the person signs: between title and name


def font_path(arg):
    for p in [arg, "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
              "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"]:
        if p and os.path.exists(p):
            return p
    raise SystemExit("no font with Vietnamese glyphs: pass --font FILE.ttf (Liberation Serif 2.x)")


def bold_path(regular):
    b = regular.replace("Regular", "Bold").replace("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf")
    return b if os.path.exists(b) else regular


def bezier(p0, p1, p2, p3, n=60):
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        yield (u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
               u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1])


def make_signature(path):
    """A flowing, handwriting-like stroke set in ink blue, with pressure-varying width."""
    w, h = int(50 * MM), int(20 * MM)
    scale = 4  # supersample, then downscale for smooth edges
    img = Image.new("RGBA", (w * scale, h * scale), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    ink = (20, 40, 170, 255)
    rnd = random.Random(30)  # fixed seed: the same drawing every time
    strokes = [
        # a large looping initial, then a run of connected loops, then an underline flourish
        [(0.05, 0.75), (0.02, 0.05), (0.30, 0.05), (0.18, 0.70)],
        [(0.18, 0.70), (0.10, 0.95), (0.35, 0.30), (0.38, 0.55)],
        [(0.38, 0.55), (0.42, 0.80), (0.47, 0.20), (0.52, 0.55)],
        [(0.52, 0.55), (0.56, 0.85), (0.60, 0.25), (0.65, 0.50)],
        [(0.65, 0.50), (0.70, 0.75), (0.74, 0.15), (0.78, 0.45)],
        [(0.78, 0.45), (0.82, 0.70), (0.88, 0.40), (0.95, 0.35)],
        [(0.08, 0.88), (0.40, 0.72), (0.70, 0.95), (0.97, 0.80)],
    ]
    for s in strokes:
        pts = [(x * w * scale + rnd.uniform(-8, 8), y * h * scale + rnd.uniform(-8, 8)) for x, y in s]
        path_pts = list(bezier(*pts))
        for i in range(len(path_pts) - 1):
            t = i / (len(path_pts) - 1)
            width = int(scale * (2.2 + 2.0 * math.sin(math.pi * t)))
            d.line([path_pts[i], path_pts[i + 1]], fill=ink, width=width)
            r = width / 2
            x, y = path_pts[i + 1]
            d.ellipse([x - r, y - r, x + r, y + r], fill=ink)
    img = img.resize((w, h), Image.LANCZOS)
    img.save(path, dpi=(DPI, DPI), optimize=True)


def text_on_circle(img, text, font, center, radius, start_deg, end_deg, fill, bottom=False):
    n = len(text)
    for i, ch in enumerate(text):
        ang = math.radians(start_deg + (end_deg - start_deg) * (i + 0.5) / n)
        x = center[0] + radius * math.cos(ang)
        y = center[1] + radius * math.sin(ang)
        bbox = font.getbbox(ch)
        cw, chh = bbox[2] - bbox[0] + 8, bbox[3] - bbox[1] + 8
        size = max(cw, chh) * 2
        tile = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((size / 2, size / 2), ch, font=font, fill=fill, anchor="mm")
        deg = math.degrees(ang)
        tile = tile.rotate(90 - deg if bottom else -deg - 90, resample=Image.BICUBIC)
        img.alpha_composite(tile, (int(x - size / 2), int(y - size / 2)))


def make_seal(path, font_file):
    """A red round seal: double rim, the unit's name around, a star in the middle."""
    side = int(40 * MM)
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    red = (210, 20, 30, 235)
    c = side / 2
    for r, wdt in [(c - 4, 9), (c - 24, 4), (c * 0.40, 4)]:
        d.ellipse([c - r, c - r, c + r, c + r], outline=red, width=wdt)
    font = ImageFont.truetype(bold_path(font_file), int(side * 0.075))
    text_on_circle(img, "UBND TỈNH BẮC NINH", font, (c, c), c * 0.74, 150, 390, red)
    text_on_circle(img, "VĂN PHÒNG", font, (c, c), c * 0.70, 128, 52, red, bottom=True)
    for deg in (140, 40):  # separators between the two texts
        a = math.radians(deg)
        x, y = c + c * 0.74 * math.cos(a), c + c * 0.74 * math.sin(a)
        d.ellipse([x - 7, y - 7, x + 7, y + 7], fill=red)
    # a five-pointed star
    pts = []
    for k in range(10):
        r = c * 0.30 if k % 2 == 0 else c * 0.12
        a = math.radians(-90 + 36 * k)
        pts.append((c + r * math.cos(a), c + r * math.sin(a)))
    d.polygon(pts, fill=red)
    img.save(path, dpi=(DPI, DPI), optimize=True)


def make_pdfs(font_file):
    from reportlab import rl_config
    rl_config.invariant = 1  # fixed dates and IDs: reproducible output
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("Serif", font_file))
    pdfmetrics.registerFont(TTFont("SerifBold", bold_path(font_file)))
    W, H = A4

    def header(c):
        c.setFont("SerifBold", 12)
        c.drawCentredString(50 * mm, H - 20 * mm, "UBND TỈNH BẮC NINH")
        c.drawCentredString(50 * mm, H - 26 * mm, "VĂN PHÒNG")
        c.drawCentredString(140 * mm, H - 20 * mm, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
        c.drawCentredString(140 * mm, H - 26 * mm, "Độc lập - Tự do - Hạnh phúc")
        c.setFont("Serif", 12)
        c.drawCentredString(50 * mm, H - 35 * mm, "Số: 123/UBND-VP")
        c.drawCentredString(140 * mm, H - 35 * mm, "Bắc Ninh, ngày 30 tháng 11 năm 2026")

    def dispatch(path):
        c = canvas.Canvas(path, pagesize=A4, pageCompression=1)
        c.setTitle("Công văn 123/UBND-VP")
        c.setAuthor("Văn phòng UBND tỉnh Bắc Ninh")
        header(c)
        c.setFont("SerifBold", 13)
        c.drawCentredString(W / 2, H - 55 * mm, "CÔNG VĂN")
        c.setFont("Serif", 13)
        c.drawCentredString(W / 2, H - 62 * mm, "V/v triển khai chữ ký số trên văn bản điện tử")
        body = [
            "Kính gửi: Sở Y tế tỉnh Bắc Ninh; Sở Kế hoạch và Đầu tư tỉnh Bắc Ninh.",
            "",
            "Thực hiện Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công",
            "tác văn thư, Văn phòng Ủy ban nhân dân tỉnh đề nghị các đơn vị ký số văn bản đi bằng",
            "chứng thư số do Sở Thông tin và Truyền thông cấp: người có thẩm quyền ký trước, văn thư",
            "ký số của cơ quan sau khi cấp số và ngày văn bản.",
            "",
            "Đề nghị các đơn vị khẩn trương thực hiện; trong quá trình triển khai, nếu có vướng mắc",
            "xin liên hệ Văn phòng để được hướng dẫn./.",
        ]
        y = H - 78 * mm
        for line in body:
            c.drawString(25 * mm, y, line)
            y -= 7 * mm
        c.setFont("SerifBold", 12)
        c.drawString(25 * mm, H - 190 * mm, "Nơi nhận:")
        c.setFont("Serif", 11)
        c.drawString(25 * mm, H - 196 * mm, "- Như trên;")
        c.drawString(25 * mm, H - 201 * mm, "- Lưu: VT.")
        c.setFont("SerifBold", 13)
        x, y, w, h = SIGNATURE_RECT_MM
        # the signatory as certs-example/units/van-phong-ubnd/person.pem names them
        c.drawCentredString((x + w / 2) * mm, H - 196 * mm, "CHÁNH VĂN PHÒNG")
        c.drawCentredString((x + w / 2) * mm, H - (y + h + 8) * mm, "Nguyễn Văn An")
        c.showPage()
        c.save()

    dispatch(os.path.join(HERE, "cong-van.pdf"))

    c = canvas.Canvas(os.path.join(HERE, "to-khai-form.pdf"), pagesize=A4, pageCompression=1)
    header(c)
    c.setFont("SerifBold", 13)
    c.drawCentredString(W / 2, H - 55 * mm, "TỜ KHAI ĐĂNG KÝ DOANH NGHIỆP")
    c.setFont("Serif", 12)
    c.drawString(25 * mm, H - 75 * mm, "Tên doanh nghiệp:")
    c.acroForm.textfield(name="ten_doanh_nghiep", x=70 * mm, y=H - 77 * mm, width=110 * mm, height=8 * mm,
                         value="", borderWidth=1)
    c.drawString(25 * mm, H - 90 * mm, "Tra cứu: https://dangkykinhdoanh.gov.vn")
    c.linkURL("https://dangkykinhdoanh.gov.vn", (25 * mm, H - 92 * mm, 110 * mm, H - 86 * mm), relative=0)
    c.showPage()
    c.save()

    import pikepdf
    with pikepdf.open(os.path.join(HERE, "cong-van.pdf")) as pdf:
        pdf.save(os.path.join(HERE, "cong-van-xref-stream.pdf"),
                 object_stream_mode=pikepdf.ObjectStreamMode.generate, deterministic_id=True)
        pdf.save(os.path.join(HERE, "cong-van-encrypted.pdf"), static_id=True,
                 encryption=pikepdf.Encryption(owner="chu-so-huu", user="", R=6))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--font")
    a = ap.parse_args()
    f = font_path(a.font)
    make_signature(os.path.join(HERE, "signature.png"))
    make_seal(os.path.join(HERE, "seal.png"), f)
    make_pdfs(f)


if __name__ == "__main__":
    main()
