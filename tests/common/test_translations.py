"""The translation check: every marked string is translated, and every catalogue is compiled.

The first test runs the same makemessages as `make messages` on a COPY of the project in a
temporary directory, so it sees strings marked since the catalogues were last regenerated and
never writes into the repository. It fails, listing them, while any French, Japanese or Korean
msgid has an empty or fuzzy translation. It needs GNU gettext (xgettext, msgmerge, msgfmt).
"""

import shutil
import subprocess
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command

from tests.conftest import skip_or_fail

TRANSLATED_LANGUAGES = ["fr", "ja", "ko"]  # English is the source language: its msgstr stay empty.
REPO = Path(settings.BASE_DIR)
LOCALE = REPO / "locale"
# What `make messages` passes as --ignore: not product code, or not ours.
NOT_SCANNED = {
    ".git",
    ".venv",
    "node_modules",
    "bench",
    "tests",
    "stripe_emulator",
    "docs",
    "media",
    "staticfiles",
    "test-artifacts",
    "locale",
    "creator_platform.egg-info",
}


def _require_gettext() -> None:
    missing = [tool for tool in ("xgettext", "msgmerge", "msgfmt") if shutil.which(tool) is None]
    if missing:
        skip_or_fail(f"needs GNU gettext ({', '.join(missing)}): apt-get install gettext")


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _project_copy(root: Path) -> Path:
    """The sources makemessages reads (.py, .html, .txt), and the current catalogues, under root."""
    for child in REPO.iterdir():
        if child.name in NOT_SCANNED or child.name.startswith("."):
            continue
        if child.is_dir():
            shutil.copytree(
                child,
                root / child.name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "node_modules"),
            )
        elif child.suffix in (".py", ".html", ".txt"):
            shutil.copy2(child, root / child.name)
    shutil.copytree(LOCALE, root / "locale")
    return root / "locale"


def _gaps(catalog: Catalog) -> list[str]:
    gaps = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        if message.fuzzy:
            gaps.append(f"fuzzy: {msgid!r}")
        elif not all(strings):
            gaps.append(f"untranslated: {msgid!r}")
    return gaps


def test_every_marked_string_is_translated(tmp_path, settings, monkeypatch):
    _require_gettext()
    # given a copy of the project whose catalogues are regenerated from its current sources
    before = {po: po.read_bytes() for po in LOCALE.glob("*/LC_MESSAGES/django.po")}
    locale = _project_copy(tmp_path / "project")
    settings.LOCALE_PATHS = [str(locale)]
    monkeypatch.chdir(tmp_path / "project")
    call_command(
        "makemessages",
        locale=TRANSLATED_LANGUAGES,
        add_location="file",
        no_obsolete=True,
        verbosity=0,
    )
    # the repository's own catalogues were not written to
    assert {po: po.read_bytes() for po in LOCALE.glob("*/LC_MESSAGES/django.po")} == before
    # then no language has an empty or fuzzy msgstr
    report = []
    for language in TRANSLATED_LANGUAGES:
        po = locale / language / "LC_MESSAGES" / "django.po"
        assert po.exists(), f"no catalogue for {language}: run `make messages`"
        gaps = _gaps(_read_po(po))
        if gaps:
            report.append(f"{language}: {len(gaps)} msgid(s) to translate\n  " + "\n  ".join(gaps))
    assert not report, (
        "Translations missing (fill locale/<lang>/LC_MESSAGES/django.po after `make messages`):\n"
        + "\n".join(report)
    )


def _tupled(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _compiled(catalog: Catalog) -> set[tuple[object, object, object]]:
    """What msgfmt keeps: translated, non-fuzzy messages (the header aside)."""
    kept = set()
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            # read_mo gives plural forms as lists and contexts as bytes; read_po tuples and str.
            context = message.context.decode() if isinstance(message.context, bytes) else message.context
            kept.add((_tupled(message.id), context, _tupled(message.string)))
    return kept


def test_every_catalogue_is_compiled_and_up_to_date():
    catalogues = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
    languages = {po.parts[-3] for po in catalogues}
    assert {"en", *TRANSLATED_LANGUAGES} <= languages, f"catalogues found only for {sorted(languages)}"
    stale = []
    for po in catalogues:
        mo = po.with_suffix(".mo")
        if not mo.exists():
            stale.append(f"{po.relative_to(REPO)}: no .mo")
            continue
        with mo.open("rb") as handle:
            compiled = _compiled(read_mo(handle))
        if compiled != _compiled(_read_po(po)):
            stale.append(f"{po.relative_to(REPO)}: its .mo is older than the .po")
    assert not stale, "Run `make messages` (compilemessages) and commit the .mo files:\n" + "\n".join(stale)


def test_the_check_sees_what_msgfmt_sees(tmp_path):
    """The two checks above can fail: gaps are found, and a stale .mo differs from its .po."""
    _require_gettext()
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        'msgid "Cart"\nmsgstr "Panier"\n\n'
        'msgctxt "verb"\nmsgid "Archive"\nmsgstr "Archiver"\n\n'
        '#, fuzzy\nmsgid "Dashboard"\nmsgstr "Tableau"\n\n'
        'msgid "Earnings"\nmsgstr ""\n\n'
        'msgid "%(n)d order"\nmsgid_plural "%(n)d orders"\nmsgstr[0] "%(n)d commande"\n'
        'msgstr[1] "%(n)d commandes"\n',
        encoding="utf-8",
    )
    catalog = _read_po(po)
    assert _gaps(catalog) == ["fuzzy: 'Dashboard'", "untranslated: 'Earnings'"]

    mo = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)
    with mo.open("rb") as handle:
        compiled = _compiled(read_mo(handle))
    assert compiled == _compiled(catalog)
    assert {(message_id, context) for message_id, context, _string in compiled} == {
        ("Cart", None),
        ("Archive", "verb"),
        (("%(n)d order", "%(n)d orders"), None),
    }

    catalog["Earnings"].string = "Revenus"  # the .po moved on; the .mo did not
    assert _compiled(catalog) != compiled
