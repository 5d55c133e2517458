"""The layer rule: the building blocks under bot/ never reach up to the bot or the cogs. What a
helper needs is handed to it (see bot/client.py), so it can be used and tested on its own."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOWER_LAYERS = ("bot/voice", "bot/ui", "bot/audio", "bot/fish", "bot/storage", "bot/speech",
                "bot/usage", "bot/narration", "bot/media")
FORBIDDEN = ("bot.client", "cogs")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, including under `if TYPE_CHECKING:` and inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def forbidden(name: str) -> bool:
    return any(name == top or name.startswith(top + ".") for top in FORBIDDEN)


def test_lower_layers_do_not_import_the_bot_or_the_cogs() -> None:
    offences = []
    for layer in LOWER_LAYERS:
        files = sorted((ROOT / layer).rglob("*.py"))
        assert files, f"{layer} has no modules: update LOWER_LAYERS"
        for path in files:
            offences += [f"{path.relative_to(ROOT)} imports {name}"
                         for name in sorted(imported_modules(path)) if forbidden(name)]
    assert offences == []


def test_the_rule_catches_a_type_checking_import(tmp_path: Path) -> None:
    module = tmp_path / "helper.py"
    module.write_text("if TYPE_CHECKING:\n    from bot.client import FishBot\n")
    assert any(forbidden(name) for name in imported_modules(module))
    module.write_text("from bot.clients_registry import x\nimport cogsworth\n")
    assert not any(forbidden(name) for name in imported_modules(module))
