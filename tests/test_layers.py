"""The layers of bot/, bottom to top, and the rules between them (docs/architecture.md):

- a package imports only packages in lower layers: never one beside it or above it, so there is no
  package import cycle (every import counts, in functions too, except under `TYPE_CHECKING`);
- the building blocks never reach up to the bot or the cogs: what a helper needs is handed to it
  (see bot/cli.py's `build_bot`), so it can be used and tested on its own;
- bot/voice words nothing for members (no i18n): it reports what happened as data;
- below bot.wording nothing calls the gettext functions: refusals are data (bot/errors.py), worded
  in bot.wording (`WORDS_BELOW_WORDING` lists what still words spoken text or a notice itself).

A package is a folder under bot/ or a module directly in it ("bot.config")."""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot", "bot.errors", "bot.clock", "bot.logs", "bot.metrics", "bot.shards"),  # dependency-free
    ("bot.i18n",),  # catalogs, the current language, formatting
    ("bot.fish", "bot.audio", "bot.media", "bot.permissions", "bot.transcripts"),  # the Fish client, audio
    ("bot.storage",),  # the database, settings store, voice ownership records
    ("bot.config", "bot.command_sync", "bot.gateway", "bot.expressive"),
    ("bot.usage", "bot.cloning", "bot.spoken"),  # quotas and billing; the rules of spoken text
    ("bot.tts",),  # spec, TTS cache, breaker, gone voices, the synthesizer: the one way to Fish's TTS
    ("bot.voice",),  # sessions, clips, the player: synthesizer only, outcomes as data
    ("bot.wording",),  # errors and outcomes worded for members
    ("bot.speech",),  # from a member's request to queued or rendered speech
    ("bot.narration",),  # reading a text channel aloud: a service on the speech path
    ("bot.tree", "bot.member_data"),  # the command tree's error replies; /forget-me's data
    ("bot.ui",),  # views and the replies after speaking
    ("bot.client",),
    ("bot.cli",),
    ("bot.tools", "bot.__main__"),
    ("cogs",),
)
LOWER_LAYERS = ("bot/voice", "bot/ui", "bot/audio", "bot/fish", "bot/storage", "bot/speech",
                "bot/usage", "bot/narration", "bot/spoken", "bot/media", "bot/tts", "bot/wording")
FORBIDDEN = ("bot.client", "cogs")


def imported_modules(path: Path, *, type_checking: bool = True, root: Path = ROOT) -> set[str]:
    """Every module a file imports, including inside functions (and under `if TYPE_CHECKING:`
    unless `type_checking` is False). Relative imports are resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skipped: set[int] = set()
    if not type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped.update(id(inner) for child in node.body for inner in ast.walk(child))
    here = module_name(path, root).split(".") if path.is_relative_to(root) else [path.stem]
    if path.name != "__init__.py":
        here = here[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[0] if parts[0] != "bot" else ".".join(parts[:2])


def package_imports(root: Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """package → imported package → the imports that make it ("bot.x.y imports bot.z.w")."""
    modules = {module_name(path, root): path for folder in ("bot", "cogs")
               for path in (root / folder).rglob("*.py")}
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module, path in sorted(modules.items()):
        for name in sorted(imported_modules(path, type_checking=False, root=root)):
            target = name
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and package_of(target) != package_of(module):
                edges[package_of(module)][package_of(target)].append(f"{module} imports {name}")
    return edges


def forbidden(name: str) -> bool:
    return any(name == top or name.startswith(top + ".") for top in FORBIDDEN)


def test_every_package_has_a_layer() -> None:
    layered = [package for layer in LAYERS for package in layer]
    assert len(layered) == len(set(layered))
    packages = {package_of(module_name(path)) for folder in ("bot", "cogs")
                for path in (ROOT / folder).rglob("*.py")}
    assert sorted(packages - set(layered)) == [], "place the new package in LAYERS (docs/architecture.md)"
    assert sorted(set(layered) - packages) == [], "a package in LAYERS no longer exists"


def test_no_package_import_cycle() -> None:
    graph = {package: set(targets) for package, targets in package_imports().items()}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as cycle:
        packages = cycle.args[1]
        detail = [line for a, b in itertools.pairwise(packages) for line in package_imports()[a][b]]
        raise AssertionError(f"package import cycle: {' -> '.join(packages)}\n" + "\n".join(detail)) from None


def test_packages_import_only_lower_layers() -> None:
    level = {package: i for i, layer in enumerate(LAYERS) for package in layer}
    upward = [line for package, targets in package_imports().items() for target, lines in targets.items()
              if level.get(target, -1) >= level.get(package, len(LAYERS)) for line in lines]
    assert upward == [], "imports of a package in the same or a higher layer (see LAYERS)"


def test_lower_layers_do_not_import_the_bot_or_the_cogs() -> None:
    offences = []
    for layer in LOWER_LAYERS:
        files = sorted((ROOT / layer).rglob("*.py"))
        assert files, f"{layer} has no modules: update LOWER_LAYERS"
        for path in files:
            offences += [f"{path.relative_to(ROOT)} imports {name}"
                         for name in sorted(imported_modules(path)) if forbidden(name)]
    assert offences == []


def test_voice_words_nothing() -> None:
    offences = [f"{path.relative_to(ROOT)} imports {name}"
                for path in sorted((ROOT / "bot/voice").rglob("*.py"))
                for name in sorted(imported_modules(path)) if package_of(name) in ("bot.i18n", "bot.wording")]
    assert offences == []


def test_what_is_said_is_prepared_without_narration() -> None:
    """/speak, /scene and the previews say text by the server's speech settings through bot.speech's
    preparer; narration is a reader beside them, not what they are built on."""
    speakers = ["cogs/speak.py", "cogs/scene.py", "cogs/speak_help.py", "bot/ui/voice_actions.py",
                "bot/speech/prepare.py"]
    offences = [f"{path} imports {name}" for path in speakers
                for name in sorted(imported_modules(ROOT / path)) if package_of(name) == "bot.narration"]
    assert offences == []


def test_the_rules_see_function_level_imports_and_skip_only_type_checking(tmp_path: Path) -> None:
    module = tmp_path / "helper.py"
    module.write_text("if TYPE_CHECKING:\n    from bot.client import FishBot\n"
                      "def later():\n    from bot.speech import service\n")
    assert any(forbidden(name) for name in imported_modules(module))
    assert not any(forbidden(name) for name in imported_modules(module, type_checking=False))
    assert "bot.speech.service" in imported_modules(module, type_checking=False)
    module.write_text("from bot.clients_registry import x\nimport cogsworth\n")
    assert not any(forbidden(name) for name in imported_modules(module))


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    for package, body in (("a", "def f():\n    from bot.b import x\n"), ("b", "from bot.a import y\n")):
        (tmp_path / "bot" / package).mkdir(parents=True)
        (tmp_path / "bot" / package / "__init__.py").write_text(body)
    (tmp_path / "cogs").mkdir()
    edges = package_imports(tmp_path)
    assert "bot.b" in edges["bot.a"] and "bot.a" in edges["bot.b"]


# The gettext functions: a call to one words something for a member.
GETTEXT = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})
# Modules below bot.wording that still word something themselves, each with why.
WORDS_BELOW_WORDING = {
    "bot.spoken.cleaning": "what is said in place of links, mentions, files: spoken text, not a refusal",
    "bot.spoken.phrases": "\"Alice said:\", \"Alice joined\": spoken text, not a refusal",
    "bot.transcripts": "\"Speaker 1: …\" in a transcript's text: content, not a refusal",
    "bot.expressive.cues": "the cue help for /speak's help (a list and a sentence per model): not moved yet",
    "bot.media.jobs": "the \"number 3 in line\" notice edited into a waiting reply: not moved yet",
}


def gettext_calls(path: Path) -> list[str]:
    """Where a module calls a gettext function ("line 12: ngettext")."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in GETTEXT:
                calls.append(f"line {node.lineno}: {name}")
    return calls


def test_below_wording_errors_are_data() -> None:
    """Refusals are data (bot/errors.py) worded in bot.wording: nothing below it calls `_`,
    `ngettext` or `pgettext` (N_ marks a msgid, it doesn't word), except the allow-list above."""
    level = {package: i for i, layer in enumerate(LAYERS) for package in layer}
    below = {package for package, i in level.items() if i < level["bot.wording"]} - {"bot", "bot.i18n"}
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        module = module_name(path)
        if package_of(module) in below and (calls := gettext_calls(path)):
            found[module] = calls
    unexpected = {module: calls for module, calls in found.items() if module not in WORDS_BELOW_WORDING}
    assert unexpected == {}, "word it in bot.wording: raise a Refusal (bot/errors.py) with the facts"
    assert sorted(set(WORDS_BELOW_WORDING) - set(found)) == [], "words nothing now: drop it from the list"


def test_gettext_calls_are_found(tmp_path: Path) -> None:
    module = tmp_path / "worded.py"
    module.write_text("from bot import i18n\nfrom bot.i18n import N_, _, ngettext\nA = N_('marked')\n"
                      "def f(n):\n    return _('a') + ngettext('b', 'bs', n) + i18n.pgettext('c', 'd')\n")
    assert sorted(gettext_calls(module)) == ["line 5: _", "line 5: ngettext", "line 5: pgettext"]
