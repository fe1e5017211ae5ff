"""Reading and writing freedesktop Desktop Entry files: the `Exec` quoting rules and a tiny parser.

Pure functions, standard library only. The rules are those of the Desktop Entry Specification 1.4
("The Exec key" and "Possible value types"); the order of the layers matters:
file text -> string escapes (`\\\\`, `\\n`, ...) -> argument quoting -> field codes (`%%`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

# Characters that force an Exec argument into double quotes (spec: "Reserved characters").
_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
# Inside double quotes these four need a backslash (spec: "escaping the double quote character, backtick
# character, dollar sign and backslash character").
_QUOTE_ESCAPED = frozenset('"`$\\')
_STRING_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
GROUP = "Desktop Entry"


class DesktopEntryError(ValueError):
    """A value that does not follow the Desktop Entry quoting rules."""


def escape_string(value: str) -> str:
    """Apply the general escapes for values of type string (a value is one line of the file)."""
    return (value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
            .replace("\r", "\\r"))


def unescape_string(value: str) -> str:
    out: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            # An unknown escape keeps its backslash: the Exec layer below may still need it (`\\$`).
            out.append(_STRING_ESCAPES.get(nxt, "\\" + nxt))
        else:
            out.append(ch)
    return "".join(out)


def _quote_argument(arg: str) -> str:
    # Field codes are expanded after unquoting, so a literal % is doubled in quoted and bare args alike.
    arg = arg.replace("%", "%%")
    if arg and not (_RESERVED & set(arg)):
        return arg
    return '"' + "".join("\\" + ch if ch in _QUOTE_ESCAPED else ch for ch in arg) + '"'


def quote_exec(argv: Sequence[str]) -> str:
    """The `Exec=` value (already string-escaped, ready for the file) that runs exactly `argv`."""
    if not argv:
        raise DesktopEntryError("an Exec line needs a program")
    if "=" in argv[0]:
        # Spec: "The executable program ... must not contain an equal sign".
        raise DesktopEntryError(f"the program path {argv[0]!r} contains '=', which Exec cannot hold")
    return escape_string(" ".join(_quote_argument(arg) for arg in argv))


def split_exec(value: str) -> list[str]:
    """Parse an `Exec=` value as it stands in the file back into argv (field codes other than %% dropped)."""
    line = unescape_string(value)
    args: list[str] = []
    current: list[str] = []
    has_token = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == " ":
            if has_token:
                args.append("".join(current))
                current, has_token = [], False
        elif ch == '"':
            has_token = True
            i += 1
            while i < len(line) and line[i] != '"':
                if line[i] == "\\" and i + 1 < len(line) and line[i + 1] in _QUOTE_ESCAPED:
                    i += 1
                current.append(line[i])
                i += 1
            if i >= len(line):
                raise DesktopEntryError("unterminated quote in Exec value")
        else:
            has_token = True
            current.append(ch)
        i += 1
    if has_token:
        args.append("".join(current))
    expanded = [(arg, _expand_field_codes(arg)) for arg in args]
    # An argument that was only a field code (`%U`) disappears; an empty quoted one ("") stays.
    return [value for arg, value in expanded if value or not arg]


def _expand_field_codes(arg: str) -> str:
    # We launch with no files or URLs, so every field code but %% expands to nothing.
    out: list[str] = []
    i = 0
    while i < len(arg):
        if arg[i] == "%" and i + 1 < len(arg):
            if arg[i + 1] == "%":
                out.append("%")
            i += 2
            continue
        out.append(arg[i])
        i += 1
    return "".join(out)


def format_desktop_entry(pairs: Iterable[tuple[str, str]]) -> str:
    """A `[Desktop Entry]` group from already-escaped `(key, value)` pairs, in the given order."""
    return "".join([f"[{GROUP}]\n", *(f"{key}={value}\n" for key, value in pairs)])


def parse_desktop_entry(text: str) -> dict[str, str]:
    """The raw (still escaped) keys of the `[Desktop Entry]` group; other groups and comments ignored."""
    entries: dict[str, str] = {}
    in_group = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            in_group = line[1:-1] == GROUP
            continue
        if in_group and "=" in line:
            key, _, value = line.partition("=")
            entries.setdefault(key.strip(), value.strip())
    return entries


def is_true(entries: Mapping[str, str], key: str) -> bool:
    return entries.get(key, "").strip().lower() == "true"


def is_false(entries: Mapping[str, str], key: str) -> bool:
    return entries.get(key, "").strip().lower() == "false"
