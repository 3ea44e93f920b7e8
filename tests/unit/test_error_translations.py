"""Every outcome text a page may show (``error_text(request, code)``) has a Chinese
translation: the msgids of ``errors.po`` are the English texts of the one table."""

from __future__ import annotations

from babel.messages.pofile import read_po

from ebank.entrypoints.error_codes import SYSTEM_ERROR, answer_for, known_codes
from ebank.entrypoints.web import i18n


def _errors_catalogue() -> dict[str, str]:
    path = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "errors.po"
    with path.open("rb") as f:
        catalogue = read_po(f, locale="zh_CN")
    return {str(m.id): str(m.string) for m in catalogue if m.id}


def test_every_outcome_text_has_a_chinese_translation_in_errors_po() -> None:
    translated = _errors_catalogue()
    texts = {answer_for(code).text for code in known_codes()} | {SYSTEM_ERROR.text}
    missing = sorted(t for t in texts if not translated.get(t))
    assert not missing, f"add these to errors.po with a Chinese msgstr: {missing}"
    # and what errors.po holds is Chinese, and shown as such by the merged catalogues
    untranslated = sorted(t for t, zh in translated.items() if zh == t)
    assert not untranslated
    merged = i18n.translations("zh_CN")
    assert merged.gettext("insufficient funds") == "余额不足"
    assert all(merged.gettext(t) != t for t in texts)
