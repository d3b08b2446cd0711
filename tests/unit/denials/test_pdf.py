"""One headless Chromium prints many letters over the DevTools protocol."""

import shutil
import stat

import pytest

from include.billing.pdf import ChromiumPrinter

CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make system-deps)")
def test_prints_several_files_in_one_browser(tmp_path):
    pages = []
    for n in range(3):
        html = tmp_path / f"letter{n}.html"
        html.write_text(f"<html><body><h1>Appeal {n}</h1><p>{'x' * 200 * (n + 1)}</p></body></html>")
        pages.append((html, tmp_path / f"letter{n}.pdf"))
    with ChromiumPrinter(CHROMIUM) as printer:
        for html, pdf in pages:
            printer.print(html, pdf)
    sizes = set()
    for _, pdf in pages:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]
        assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
        sizes.add(len(data))
    assert len(sizes) == 3          # three different documents, not one printed three times


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make system-deps)")
def test_a_missing_file_is_an_error_not_a_hang(tmp_path):
    with ChromiumPrinter(CHROMIUM, timeout=20) as printer, pytest.raises(RuntimeError):
        printer.print(tmp_path / "nowhere.html", tmp_path / "nowhere.pdf")
