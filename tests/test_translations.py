"""The translation files as shipped (data/translations/<code>.json): strict JSON, and each the same keys and
{placeholders} as English, so a page never shows a raw key, a missing value or an unfilled field."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from netspace_mock.web import i18n

# The one placeholder form: i18n.text() replaces "{name}" and game.js the pattern /\{(\w+)\}/.
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object_pairs_hook: plain json.loads keeps the last of two equal keys without a word."""
    keys = [key for key, _ in pairs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ValueError(f"duplicate keys {twice}")
    return dict(pairs)


def parse(data: bytes) -> dict[str, str]:
    """A translation file's bytes: strict UTF-8, one JSON object of strings, no key twice."""
    document = json.loads(data.decode("utf-8"), object_pairs_hook=unique_keys)
    if not isinstance(document, dict):
        raise ValueError(f"a JSON object, not {type(document).__name__}")
    not_text = sorted(key for key, value in document.items() if not isinstance(value, str))
    if not_text:
        raise ValueError(f"values that are not strings: {not_text}")
    return document


def differences(english: dict[str, str], other: dict[str, str]) -> list[str]:
    """What `other` lacks or adds against English: keys, and placeholders key by key."""
    found = [f"missing key {key!r}" for key in english if key not in other]
    found += [f"key {key!r} that English lacks" for key in other if key not in english]
    for key in english.keys() & other.keys():
        wanted, got = set(PLACEHOLDER.findall(english[key])), set(PLACEHOLDER.findall(other[key]))
        found += [f"{key!r} lacks {{{name}}}" for name in sorted(wanted - got)]
        found += [f"{key!r} has {{{name}}} that English lacks" for name in sorted(got - wanted)]
    return sorted(found)


def shipped() -> dict[str, bytes]:
    """Every .json file of the folder the package reads, by language code."""
    return {
        entry.name.removesuffix(".json"): entry.read_bytes()
        for entry in i18n.TRANSLATIONS.iterdir()
        if entry.name.endswith(".json")
    }


def test_there_is_one_file_per_language_and_no_other():
    assert sorted(shipped()) == sorted(i18n.LANGUAGES)


@pytest.mark.parametrize("language", sorted(shipped()))
def test_each_file_is_strict_utf8_json_without_duplicate_keys(language):
    assert parse(shipped()[language]) == i18n.STRINGS.get(language)


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != "en"])
def test_each_language_has_the_keys_and_placeholders_of_english(language):
    files = shipped()
    problems = differences(parse(files["en"]), parse(files[language]))
    assert not problems, f"{language}.json: " + "; ".join(problems)


# ---- the checks themselves catch what they are for ----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"play": "Jugar", "play": "Juega"}', "duplicate keys \\['play'\\]"),
        ('{"play": "Jöuer"}'.encode("latin-1"), "codec can't decode"),
        ("\ufeff".encode() + b'{"play": "Play"}', "BOM"),
        (b'{"play": "Play",}', "Expecting property name"),
        (b'["Play"]', "a JSON object, not list"),
        (b'{"play": 5}', "not strings: \\['play'\\]"),
    ],
)
def test_parse_refuses_what_is_not_a_clean_translation_file(data, problem):
    with pytest.raises(ValueError, match=problem):
        parse(data)


ENGLISH = {"play": "Play", "won": "You won {amount}", "range": "From {min} to {max}"}


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        ({"play": "Jugar", "won": "Has ganado {amount}", "range": "De {min} a {max}"}, []),
        ({"play": "Jugar", "won": "Has ganado {amount}"}, ["missing key 'range'"]),
        ({**ENGLISH, "lose": "Perdiste"}, ["key 'lose' that English lacks"]),
        ({**ENGLISH, "won": "Has ganado"}, ["'won' lacks {amount}"]),
        ({**ENGLISH, "won": "Has ganado %(amount)s"}, ["'won' lacks {amount}"]),
        ({**ENGLISH, "won": "{amount} {count}"}, ["'won' has {count} that English lacks"]),
        (
            {**ENGLISH, "range": "De {mín} a {max}"},
            ["'range' has {mín} that English lacks", "'range' lacks {min}"],
        ),
    ],
)
def test_differences_finds_every_missing_or_extra_key_and_placeholder(other, expected):
    assert differences(ENGLISH, other) == expected
