#!/usr/bin/env python3
"""Builds a knowledge base corpus of real articles in French and English
from the LibreOffice help that Debian ships (libreoffice-help-fr and
libreoffice-help-en-us), for the search benchmark and volume tests.

    python3 bench/libreoffice_corpus.py OUT_DIR

Downloads the two packages with `apt-get download` into OUT_DIR/debs (once),
unpacks them with `dpkg -x`, and splits every help page into articles, one
per section (an `h1`/`h2`/`h3` heading and what follows it). The French and
English sections at the same place of the same page are translations of
one article (same slug). Writes OUT_DIR/kb/<slug>.<lang>.md files in the
format `guichet kb import` reads. Nothing of it is committed."""

import html
import html.parser
import pathlib
import re
import subprocess
import sys
import unicodedata

PACKAGES = ["libreoffice-help-fr", "libreoffice-help-en-us"]
LANGS = {"fr": "fr", "en-US": "en"}
PRODUCTS = {"scalc": "calc", "swriter": "writer", "simpress": "impress", "sdraw": "draw", "sbasic": "basic",
            "smath": "math", "schart": "chart", "sdatabase": "base", "shared": "shared"}
SKIP = {"script", "style", "header", "aside", "nav", "noscript", "button"}


class Sections(html.parser.HTMLParser):
    """Text of the page's display area, cut at each heading."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = []  # [title, [paragraphs]]
        self.skip = 0
        self.in_display = False
        self.heading = None
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("id") == "DisplayArea":
            self.in_display = True
        if tag in SKIP:
            self.skip += 1
        if tag in ("h1", "h2", "h3"):
            self.flush()
            self.heading = []
        elif tag in ("p", "li", "td", "br", "tr", "pre"):
            self.flush()

    def handle_endtag(self, tag):
        if tag in SKIP and self.skip:
            self.skip -= 1
        if tag in ("h1", "h2", "h3") and self.heading is not None:
            title = " ".join("".join(self.heading).split())
            self.heading = None
            if title:
                self.sections.append([title, []])
        elif tag in ("p", "li", "td", "pre"):
            self.flush()

    def handle_data(self, data):
        if self.skip or not self.in_display:
            return
        if self.heading is not None:
            self.heading.append(data)
        else:
            self.text.append(data)

    def flush(self):
        text = " ".join("".join(self.text).split())
        self.text = []
        if text and self.sections:
            self.sections[-1][1].append(text)


def slugify(text):
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text)).strip("-")[:110].strip("-")


def yaml_text(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1]).resolve()
    debs, unpacked, kb = out / "debs", out / "unpacked", out / "kb"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob("*.deb")):
        subprocess.run(["apt-get", "download", *PACKAGES], cwd=debs, check=True)
    if not unpacked.exists():
        for deb in debs.glob("*.deb"):
            subprocess.run(["dpkg", "-x", str(deb), str(unpacked)], check=True)
    kb.mkdir(parents=True, exist_ok=True)
    for old in kb.glob("*.md"):
        old.unlink()
    help_root = unpacked / "usr/share/libreoffice/help"
    files = articles = 0
    for lang_dir, lang in LANGS.items():
        for page in sorted((help_root / lang_dir / "text").rglob("*.html")):
            relative = page.relative_to(help_root / lang_dir / "text")
            module = relative.parts[0]
            product = PRODUCTS.get(module, "shared")
            area = "a_" + re.sub(r"[^a-z0-9]+", "_", relative.parts[1].lower()) if len(relative.parts) > 2 else "general"
            parser = Sections()
            parser.feed(page.read_text(encoding="utf-8", errors="replace"))
            stem = slugify(str(relative.with_suffix("")))
            for index, (title, paragraphs) in enumerate(parser.sections):
                body = "\n\n".join(paragraphs).strip()
                if len(body) < 40:
                    continue
                slug = f"lo-{stem}-{index}"[:120].strip("-")
                page_key = f"lo/{module}/{slugify(relative.stem) or 'page'}"
                front = "\n".join([
                    "---", f"slug: {slug}", f"lang: {lang}", f"title: {yaml_text(title[:200])}",
                    f"products: [{product}]", f"areas: [{area[:40]}]", f"page_keys: [{page_key}]", "---", ""])
                # Markdown would read LibreOffice's text as markup here and there:
                # escape what it reacts to.
                body = re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", body)
                (kb / f"{slug}.{lang}.md").write_text(front + body + "\n", encoding="utf-8")
                files += 1
                if lang == "fr":
                    articles += 1
    slugs = {p.name.rsplit(".", 2)[0] for p in kb.glob("*.md")}
    print(f"{len(slugs)} articles ({files} files, French and English) in {kb}")


main()
