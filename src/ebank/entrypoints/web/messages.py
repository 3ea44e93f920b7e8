"""The messages of the web pages, extracted with babel's extractors, and which of them
have no Chinese translation yet: ``make messages`` (``python -m
ebank.entrypoints.web.messages``) lists them and writes the template catalogue
``var/messages.pot`` for translators; the language tests fail on any.

Sources: the Jinja templates (``_("...")``, jinja2's babel extractor) and the web
package's Python modules (``gettext(request, "...")``, and ``N_("...")`` for texts
chosen before a request exists, such as a table of notices).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from ebank.entrypoints.web import i18n

WEB = Path(__file__).parent
TEMPLATES = WEB / "templates"
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
# gettext(request, message): the message is the second argument.
PYTHON_KEYWORDS: dict[str, tuple[int, ...] | None] = {"gettext": (2,), "N_": None}


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    where: str  # file:line


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, with ``gettext``."""
    return message


def extract_messages() -> list[Message]:
    """Every message of the templates and the web Python modules, in file order."""
    found: list[Message] = []
    for filename, line, text, _comments, _context in extract_from_dir(
        str(TEMPLATES),
        method_map=[("**.html", "jinja2.ext:babel_extract")],
        options_map={"**.html": JINJA_OPTIONS},
    ):
        found.extend(Message(t, f"templates/{filename}:{line}") for t in _texts(text))
    for filename, line, text, _comments, _context in extract_from_dir(
        str(WEB), method_map=[("*.py", "python")], keywords=PYTHON_KEYWORDS
    ):
        found.extend(Message(t, f"{filename}:{line}") for t in _texts(text))
    return found


def _texts(text: str | tuple[str, ...]) -> list[str]:
    return [t for t in ((text,) if isinstance(text, str) else text) if t]


def translated_ids(language: str = "zh_CN") -> set[str]:
    """The msgids that have a translation in some catalogue of ``language``."""
    ids: set[str] = set()
    for path in i18n.catalogue_files(language):
        with path.open("rb") as f:
            ids.update(str(m.id) for m in read_po(f, locale=language) if m.id and m.string)
    return ids


def missing_translations(language: str = "zh_CN") -> list[Message]:
    done = translated_ids(language)
    return [m for m in extract_messages() if m.text not in done]


def write_template(path: Path) -> None:
    catalogue = Catalog(project="ebank", charset="utf-8")
    for message in extract_messages():
        catalogue.add(message.text, locations=[(message.where.rsplit(":", 1)[0], 0)])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalogue, omit_header=True, sort_output=True)


def main() -> int:
    write_template(Path("var") / "messages.pot")
    missing = missing_translations()
    for message in missing:
        print(f"{message.where}: {message.text!r}")
    print(f"{len(missing)} message(s) without a Chinese translation (var/messages.pot written)")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
