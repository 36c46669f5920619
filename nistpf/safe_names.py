"""File names made from client text (an uploaded file's name, an inventory's name) that are safe
to create on Windows, macOS and Linux.

>>> safe_filename("../../etc/passwd")
'passwd'
>>> safe_filename("CON.xlsx")
'_CON.xlsx'
>>> safe_filename("  .hidden. ")
'hidden'
>>> safe_filename("")
'file'
"""

from __future__ import annotations

import re
import unicodedata

# Names Windows reserves for devices, with or without an extension ("nul.txt" is the device too).
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in [*range(1, 10), "¹", "²", "³"]}
    | {f"LPT{i}" for i in [*range(1, 10), "¹", "²", "³"]}
)
# Characters Windows refuses in a name, and every control character (C0, DEL, C1).
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f]')
_SEPARATORS = re.compile(r"[/\\]")
_MAX_BYTES = 240  # of the 255 most file systems allow: room for " (2)" and the like


def safe_filename(text: object, *, default: str = "file", max_length: int = 100) -> str:
    """``text`` as one file name, never a path: only the last path component is kept (so
    ``../``, absolute paths and drive letters go), characters Windows forbids and control
    characters become ``_``, leading dots and spaces and trailing dots and spaces go (no hidden
    files, no names Windows silently changes), a reserved device name (CON, PRN, AUX, NUL,
    COM1-9, LPT1-9, whatever the case or extension) gets a leading ``_``, and a name longer than
    ``max_length`` characters (or 240 UTF-8 bytes) is cut before its extension. Empty results
    become ``default``."""
    if max_length < 8:
        raise ValueError(f"max_length {max_length} is too short for a file name; use 8 or more")
    name = unicodedata.normalize("NFC", "" if text is None else str(text))
    name = _SEPARATORS.split(name)[-1]  # the last component: no folders, no traversal
    name = name.split(":")[-1] if re.match(r"^[A-Za-z]:", name) else name  # "C:evil.txt"
    name = _FORBIDDEN.sub("_", name)
    name = name.strip(" .")
    if not name or set(name) <= {"_"}:
        name = default
    if name.split(".")[0].rstrip(" ").upper() in _RESERVED:
        name = f"_{name}"
    if len(name) > max_length:
        suffix = name[name.rfind(".") :] if "." in name[1:] else ""
        if len(suffix) > max_length // 2:
            suffix = ""
        name = name[: max_length - len(suffix)].rstrip(" .") + suffix
    while len(name.encode("utf-8")) > _MAX_BYTES:
        stem, suffix = (
            (name.rsplit(".", 1)[0], "." + name.rsplit(".", 1)[1])
            if "." in name[1:]
            else (name, "")
        )
        name = stem[:-1].rstrip(" .") + suffix
    return name
