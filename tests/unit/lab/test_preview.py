"""GET haven/preview through real HTTP (a real Jupyter server with haven-lab): images are
re-rendered and capped on the server, tables are escaped and capped, paths stay in the
workspace, and every byte of the answer is metered."""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image
from tornado.httpclient import HTTPClientError

from haven_lab import meter, preview


async def fetch_preview(jp_fetch, path: str | None, **extra: str):
    params = {**extra} if path is None else {"path": path, **extra}
    try:
        response = await jp_fetch("haven", "preview", params=params)
    except HTTPClientError as error:
        response = error.response
    return response.code, json.loads(response.body or b"{}"), response


def png_bytes(size: tuple[int, int], mode: str = "RGB", color=(30, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG")
    return out.getvalue()


def decoded(answer: dict) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(answer["data"])))


async def test_an_image_is_re_rendered_small_on_the_server(jp_fetch, workspace):
    (workspace / "figure.png").write_bytes(png_bytes((1600, 1000)))
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/figure.png")
    assert code == 200, answer
    assert answer["kind"] == "image" and answer["name"] == "figure.png"
    assert (answer["original_width"], answer["original_height"]) == (1600, 1000)
    assert (answer["width"], answer["height"]) == (800, 500)
    shown = decoded(answer)
    assert shown.format == "PNG" and shown.size == (800, 500)


async def test_the_release_dialog_asks_for_a_smaller_preview(jp_fetch, workspace):
    (workspace / "figure.png").write_bytes(png_bytes((1600, 1000)))
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/figure.png", size="small")
    assert code == 200 and (answer["width"], answer["height"]) == (320, 200)
    (workspace / "wide.csv").write_text(",".join("abcdefghijkl") + "\n" + "1,2,3,4,5,6,7,8,9,10,11,12\n" * 30)
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/wide.csv", size="small")
    assert code == 200 and (answer["shown_rows"], answer["shown_columns"], answer["total_rows"]) == (10, 8, 30)
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/figure.png", size="4000")
    assert code == 400 and "'size' must be one of: full, small" in answer["message"]


async def test_what_is_sent_is_new_pixels_not_the_file(jp_fetch, workspace):
    """A JPEG's metadata (here a comment naming a patient) and bytes after the image stay behind."""
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 10, 10)).save(out, "JPEG", comment=b"patient 4711 Jones")
    (workspace / "photo.jpg").write_bytes(out.getvalue() + b"TRAILING-SECRET")
    code, answer, response = await fetch_preview(jp_fetch, "workspace/photo.jpg")
    assert code == 200, answer
    sent = base64.b64decode(answer["data"])
    assert b"4711" not in sent and b"TRAILING-SECRET" not in sent and b"4711" not in response.body
    assert sent != out.getvalue()


async def test_a_busy_image_is_held_to_the_byte_cap(jp_fetch, workspace):
    noise = Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))
    noise.save(workspace / "noise.png", "PNG")
    assert (workspace / "noise.png").stat().st_size > preview.MAX_PREVIEW_BYTES
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/noise.png")
    assert code == 200, answer
    assert len(base64.b64decode(answer["data"])) <= preview.MAX_PREVIEW_BYTES
    assert max(answer["width"], answer["height"]) <= preview.MAX_SIDE


async def test_a_decompression_bomb_is_refused_before_it_is_decoded(jp_fetch, workspace):
    # 8,000 x 7,000 grey pixels: a small file that decodes to 56 million pixels.
    Image.new("L", (8000, 7000)).save(workspace / "bomb.png", "PNG", optimize=True)
    assert (workspace / "bomb.png").stat().st_size < 1024 * 1024
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/bomb.png")
    assert code == 413
    assert "8,000 x 7,000 pixels is too many to preview" in answer["message"]


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size and that holds no pixels at all."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


async def test_a_header_claiming_billions_of_pixels_is_refused_as_too_big(jp_fetch, workspace):
    (workspace / "claims.png").write_bytes(png_header_claiming(100_000, 100_000))
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/claims.png")
    assert code == 413 and "too many" in answer["message"]


async def test_svg_is_never_passed_through(jp_fetch, workspace):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("//x")</script></svg>'
    (workspace / "chart.svg").write_bytes(svg)
    code, answer, response = await fetch_preview(jp_fetch, "workspace/chart.svg")
    assert code == 415 and "no preview for SVG" in answer["message"]
    assert b"<script" not in response.body
    # Named as a PNG it is still not an image: the content decides, not the name.
    (workspace / "chart.png").write_bytes(svg)
    code, answer, response = await fetch_preview(jp_fetch, "workspace/chart.png")
    assert code == 422 and "not a PNG, JPEG or GIF" in answer["message"]
    assert b"<script" not in response.body


async def test_a_huge_csv_shows_its_first_rows_and_columns_and_counts_the_rest(jp_fetch, workspace):
    header = ",".join(f"c{i}" for i in range(40))
    lines = [header] + [",".join(str(r * 100 + i) for i in range(40)) for r in range(20_000)]
    (workspace / "big.csv").write_text("\n".join(lines) + "\n")
    code, answer, response = await fetch_preview(jp_fetch, "workspace/big.csv")
    assert code == 200, answer
    assert answer["kind"] == "table"
    assert (answer["shown_rows"], answer["total_rows"], answer["total_rows_exact"]) == (50, 20_000, True)
    assert (answer["shown_columns"], answer["total_columns"]) == (20, 40)
    assert answer["html"].count("<tr>") == 51 and "<th scope=\"col\">c19</th>" in answer["html"]
    assert "c20" not in answer["html"] and ">4999<" not in answer["html"]
    assert len(response.body) < 40_000  # a 2.7 MB file, a preview of a few KB


async def test_html_in_a_cell_is_escaped(jp_fetch, workspace):
    (workspace / "evil.csv").write_text('name,note\n<script>alert(1)</script>,"<img src=x onerror=alert(2)>"\n')
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/evil.csv")
    assert code == 200, answer
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer["html"]
    assert "<script" not in answer["html"] and "<img" not in answer["html"]


async def test_tab_separated_and_parquet_tables(jp_fetch, workspace):
    (workspace / "counts.tsv").write_text("region\tcount\nnorth\t15\nsouth\t20\n")
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/counts.tsv")
    assert code == 200 and "<td>north</td><td>15</td>" in answer["html"]
    pq.write_table(pa.table({"region": ["north", "south"] * 100, "count": list(range(200))}),
                   workspace / "counts.parquet")
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/counts.parquet")
    assert code == 200, answer
    assert (answer["shown_rows"], answer["total_rows"]) == (50, 200)
    assert "<td>south</td><td>1</td>" in answer["html"]


@pytest.mark.parametrize(("path", "status", "words"), [
    ("workspace/../secret.csv", 403, "'..' is not allowed"),
    ("notes.csv", 403, "only files inside the project workspace can be previewed"),
    ("workspace/missing.png", 404, "no such file"),
    ("workspace/report.docx", 415, "no preview for this kind of file"),
    (None, 400, "needs a 'path'"),
])
async def test_paths_outside_the_workspace_and_other_files_are_refused(jp_fetch, jp_root_dir, workspace,
                                                                       path, status, words):
    (jp_root_dir / "notes.csv").write_text("a\n1\n")
    (workspace / "report.docx").write_bytes(b"PK\x03\x04")
    code, answer, _ = await fetch_preview(jp_fetch, path)
    assert code == status and words in answer["message"]


async def test_a_link_out_of_the_workspace_is_refused(jp_fetch, jp_root_dir, workspace, data_dir, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "figure.png").write_bytes(png_bytes((10, 10)))
    (workspace / "linked.png").symlink_to(outside / "figure.png")
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/linked.png")
    assert code == 403 and "only files inside the project workspace" in answer["message"]
    dataset = next((data_dir / "patients").rglob("*.parquet"))
    (workspace / "patients.parquet").symlink_to(dataset)
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/patients.parquet")
    assert code == 403 and "the datasets are not previewed" in answer["message"]


async def test_a_preview_is_metered_and_stops_at_the_budget(jp_fetch, workspace):
    active = meter._active
    assert active is not None
    (workspace / "figure.png").write_bytes(png_bytes((1200, 900)))
    before = active.total
    code, _, response = await fetch_preview(jp_fetch, "workspace/figure.png")
    assert code == 200 and active.total - before == len(response.body)
    active.budget = active.total + len(response.body) // 2  # room for half a preview
    code, answer, _ = await fetch_preview(jp_fetch, "workspace/figure.png")
    assert code == 429 and "daily budget" in answer["message"]
