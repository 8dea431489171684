"""The game page's strings in the platform's 15 languages (data/translations/), and how a page picks one."""

from __future__ import annotations

import json

from netspace_mock.paths import DATA, fixture

TRANSLATIONS = DATA / "translations"
LANGUAGES: list[str] = [entry["code"] for entry in fixture("languages")]
RTL = {"ar"}
# The lang attribute picks the right CJK glyphs: Simplified Chinese, not the Japanese forms.
HTML_LANG = {"zh": "zh-Hans"}


def load(languages: list[str]) -> dict[str, dict[str, str]]:
    """Each language's strings by key, from its file in data/translations/ (one per language)."""
    return {
        language: json.loads(TRANSLATIONS.joinpath(f"{language}.json").read_text(encoding="utf-8"))
        for language in languages
    }


# Read once, when the module is first imported (as the app is built), and shared by every request.
STRINGS: dict[str, dict[str, str]] = load(LANGUAGES)


def strings(language: str) -> dict[str, str]:
    """Every string of `language` by key; English for a language the mock has no file for."""
    return STRINGS.get(language, STRINGS["en"])


def text(language: str, key: str, **values: str) -> str:
    """One string with its {placeholders} filled; str.replace, so a value can never inject a field."""
    found = strings(language)[key]
    for name, value in values.items():
        found = found.replace("{" + name + "}", value)
    return found


def html_lang(language: str) -> str:
    return HTML_LANG.get(language, language)


def direction(language: str) -> str:
    return "rtl" if language in RTL else "ltr"


def negotiate(accept_language: str | None) -> str:
    """The best of the 15 languages for an Accept-Language header (a page with no session to ask)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        code = tag.strip().lower().split("-")[0]
        if code in STRINGS and quality > 0:
            ranked.append((-quality, index, code))
    return min(ranked)[2] if ranked else "en"
