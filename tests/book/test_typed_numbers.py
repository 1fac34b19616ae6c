"""No number about our runs is typed by hand in the prose of the book's pages.

A number that describes one of our runs must reach the page from the results (a myst-nb
``{glue:text}`` role filled by the notebook, or text generated from the results files); a
number may be typed only when it is quoted from the paper or is a parameter value, and then
it is listed, with its reason, in ``tests/book/typed_numbers.toml``. This file
holds the pages to that list with a pure text scan (nothing is executed).

What is scanned: the Markdown prose of a page. What is not: the YAML front matter, code
cells and code fences, directive option lines (``:tags:``), math (``$...$``, ``$$...$$``,
``{math}``), code spans and roles (so ``{glue:text}`name:.2f``` and ``{doc}`...``` are
skipped), link targets, HTML comments, arXiv identifiers, and citation labels (``§2.3``,
``Fig. 2``, ``Prop. 1``, ``Observation 3``...).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWLIST = Path(__file__).with_name("typed_numbers.toml")

def pages(root: Path = ROOT) -> list[Path]:
    """The pages whose prose is held to the list: the chapters and the hand-written pages."""
    found = sorted((root / "notebooks").glob("0*.md"))
    found += [root / "book" / "intro.md", root / "book" / "reproducibility.md", root / "README.md"]
    return [p for p in found if p.is_file()]


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
#: Fenced blocks whose body is prose (MyST directives); every other fence is code or math.
_CODE_DIRECTIVES = ("{code-cell", "{code", "{math", "{literalinclude", "{raw", "{eval-rst")
#: A decimal (0.84, 96.1) or a percentage (84%, 98.6 %), not part of a longer token.
NUMBER = re.compile(r"(?<![\w.,/-])(\d+(?:\.\d+)?\s?%|\d+\.\d+)(?![\w]|\.\d)")
#: Citation labels and identifiers: a number after one of these is a name, not a quantity.
_CITATION = re.compile(
    r"(?:§+\s*|\b(?:arXiv|Figs?\.?|Figures?|Tables?|Props?\.?|Propositions?|Observations?|Obs\.|"
    r"Theorems?|Lemmas?|Sections?|Sec\.|Appendix|App\.|Eqs?\.?|Equations?|Definitions?|Def\.|"
    r"Corollary|Cor\.)\s*)$")


def prose(text: str) -> str:
    """The page with everything but its prose blanked (line numbers kept)."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    if lines and lines[0].strip() == "---":  # front matter
        end = next((j for j in range(1, len(lines)) if lines[j].strip() == "---"), 0)
        out += [""] * (end + 1)
        i = end + 1
    stack: list[tuple[str, bool]] = []  # (fence, body is code)
    while i < len(lines):
        line = lines[i]
        m = _FENCE.match(line)
        in_code = any(code for _, code in stack)
        if m:
            fence, info = m.group(1), m.group(2).strip()
            if stack and fence.startswith(stack[-1][0]) and not info and fence[0] == stack[-1][0][0]:
                stack.pop()
                out.append("")
                i += 1
                continue
            if not in_code:
                code = not info.startswith("{") or info.startswith(_CODE_DIRECTIVES)
                stack.append((fence, code))
                out.append("")
                i += 1
                continue
        if in_code or (stack and re.match(r"^\s*:[\w-]+:", line)):
            out.append("")
        else:
            out.append(line)
        i += 1
    body = "\n".join(out)

    def blank(m: re.Match) -> str:
        return re.sub(r"[^\n]", " ", m.group(0))

    body = re.sub(r"<!--.*?-->", blank, body, flags=re.S)
    body = re.sub(r"\$\$.*?\$\$", blank, body, flags=re.S)
    body = re.sub(r"(`+)(?:(?!\1).)+?\1", blank, body, flags=re.S)  # code spans and roles
    body = re.sub(r"(?<!\\)\$[^$\n]+\$", blank, body)  # inline math
    body = re.sub(r"\]\([^)\s]*\)", blank, body)  # link targets
    body = re.sub(r"https?://\S+", blank, body)
    return body


@dataclass(frozen=True)
class Typed:
    page: str
    line: int
    number: str
    context: str


def scan_text(text: str, page: str = "") -> list[Typed]:
    """Every decimal and percentage typed in the prose of one page."""
    found = []
    previous = ""
    for n, line in enumerate(prose(text).splitlines(), 1):
        for m in NUMBER.finditer(line):
            before = line[: m.start()] if line[: m.start()].strip() else previous.rstrip() + " "
            if _CITATION.search(before):
                continue
            number = m.group(1).replace(" ", "")
            found.append(Typed(page, n, number, line.strip()))
        previous = line
    return found


def rel(path: Path, root: Path = ROOT) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.name


def load_allowlist(path: Path = ALLOWLIST) -> dict[str, dict[str, str]]:
    """``{page: {number: reason}}`` from the TOML file."""
    with path.open("rb") as fh:
        return tomllib.load(fh)


def unlisted(found: list[Typed], allowed: dict[str, str]) -> list[Typed]:
    """The typed numbers of one page that its list does not allow."""
    return [t for t in found if t.number not in allowed]


def stale(found: list[Typed], allowed: dict[str, str]) -> list[str]:
    """The listed numbers that no longer occur on the page (the list must not rot)."""
    present = {t.number for t in found}
    return sorted(set(allowed) - present)



# --- the tests ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def allowlist() -> dict[str, dict[str, str]]:
    return load_allowlist()


@pytest.mark.parametrize("page", pages(), ids=lambda p: rel(p))
def test_every_typed_number_is_listed(page: Path, allowlist) -> None:
    found = scan_text(page.read_text(encoding="utf-8"), rel(page))
    bad = unlisted(found, allowlist.get(rel(page), {}))
    assert not bad, (
        f"{rel(page)} types numbers that are not on {ALLOWLIST.name}: glue them from the results "
        "(a number about our runs) or list them with a reason (paper quote, parameter):\n"
        + "\n".join(f"  line {t.line}: {t.number}  | {t.context[:100]}" for t in bad))


@pytest.mark.parametrize("page", pages(), ids=lambda p: rel(p))
def test_no_listed_number_is_stale(page: Path, allowlist) -> None:
    found = scan_text(page.read_text(encoding="utf-8"), rel(page))
    gone = stale(found, allowlist.get(rel(page), {}))
    assert not gone, f"{ALLOWLIST.name} lists numbers that {rel(page)} no longer types: {gone}"


def test_the_list_names_only_scanned_pages(allowlist) -> None:
    assert set(allowlist) <= {rel(p) for p in pages()}, set(allowlist) - {rel(p) for p in pages()}
    for page, entries in allowlist.items():
        for number, reason in entries.items():
            assert NUMBER.fullmatch(number), f"{page}: {number!r} is not a decimal or a percentage"
            assert reason.strip(), f"{page}: {number} has no reason"


def test_a_planted_stale_number_is_caught(tmp_path: Path, allowlist) -> None:
    page = ROOT / "notebooks" / "03_implicit_reasoning.md"
    text = page.read_text(encoding="utf-8")
    copy = tmp_path / page.name
    copy.write_text(text + "\nThe Mamba reaches 0.84 with navigation 0.04, 84% of the time.\n",
                    encoding="utf-8")
    bad = unlisted(scan_text(copy.read_text(encoding="utf-8"), rel(page)), allowlist[rel(page)])
    assert {t.number for t in bad} == {"0.84", "0.04", "84%"}


def test_a_listed_paper_number_passes_and_is_seen(allowlist) -> None:
    page = ROOT / "notebooks" / "02_spectral_bias.md"
    found = scan_text(page.read_text(encoding="utf-8"), rel(page))
    assert "96.1" in {t.number for t in found}  # the paper's loss, typed on purpose
    assert not unlisted([t for t in found if t.number == "96.1"], allowlist[rel(page)])


def test_a_listed_number_that_left_its_page_fails(allowlist) -> None:
    page = ROOT / "notebooks" / "02_spectral_bias.md"
    text = page.read_text(encoding="utf-8").replace("96.1", "{glue:text}`loss0`")
    assert stale(scan_text(text, rel(page)), allowlist[rel(page)]) == ["96.1"]


def test_the_scan_skips_code_math_glue_and_citations() -> None:
    text = "\n".join([
        "---", "kernelspec: {version: 3.11}", "---",
        "Prose types 0.5 and 12% here.",
        "Glue {glue:text}`acc:.2f` and code `lr = 0.3`, math $x = 0.7$ and",
        "$$", "y = 0.9", "$$",
        "paper §2.3, Fig. 4.1, Prop. 1.2, arXiv", "2510.26745 and [a](https://x.org/v1.5).",
        "```{code-cell} ipython3", ":tags: [remove-cell]", "", "glue('acc', 0.84)", "```",
        "````{exercise}", ":label: ex", "", "Exercise prose with 0.25.",
        "```{hint}", ":class: dropdown", "", "A hint with `TEST_FRAC = 0.25` and 0.125.", "```", "````",
        "```python", "x = 0.6", "```",
        "<!-- 0.33 in a comment -->",
    ])
    assert [t.number for t in scan_text(text)] == ["0.5", "12%", "0.25", "0.125"]


if __name__ == "__main__":  # print what each page types, to review it by hand
    import sys

    for p in [Path(a) for a in sys.argv[1:]] or pages():
        for t in scan_text(p.read_text(encoding="utf-8"), rel(p)):
            print(f"{t.page}:{t.line}: {t.number:>8}  | {t.context[:140]}")
