"""A minimal writer of Compound File Binary files (MS-CFB, version 3), the container of vbaProject.bin.

Deterministic: no timestamps or class IDs, streams in the order given, so the same streams
always give the same bytes.
"""

from __future__ import annotations

import struct

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREE, END_OF_CHAIN, FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NO_ENTRY = 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1
DIFAT_IN_HEADER = 109


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b""):
        self.name, self.kind, self.data = name, kind, data
        self.children: list[_Entry] = []
        self.left = self.right = self.child = NO_ENTRY
        self.colour = BLACK
        self.start, self.size = (0 if kind == STORAGE else END_OF_CHAIN), 0


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A compound file holding ``streams``, named by path ("PROJECT", "VBA/dir"); storages are implied."""
    root = _Entry("Root Entry", ROOT)
    entries = [root]
    for path, data in streams.items():
        parent = root
        *folders, name = path.split("/")
        for folder in folders:
            found = next((c for c in parent.children if c.name == folder), None)
            if found is None:
                found = _Entry(folder, STORAGE)
                parent.children.append(found)
                entries.append(found)
            parent = found
        stream = _Entry(name, STREAM, data)
        parent.children.append(stream)
        entries.append(stream)
    ids = {id(entry): number for number, entry in enumerate(entries)}
    for entry in entries:
        if entry.children:
            entry.child = _tree(sorted(entry.children, key=_sort_key), ids, 0, len(entry.children).bit_length())

    mini = bytearray()
    mini_fat: list[int] = []
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != STREAM:
            continue
        entry.size = len(entry.data)
        if entry.size >= MINI_CUTOFF:
            big.append(entry)
        elif entry.size:
            entry.start = len(mini_fat)
            count = -(-entry.size // MINI_SECTOR)
            mini_fat += [*range(entry.start + 1, entry.start + count), END_OF_CHAIN]
            mini += entry.data.ljust(count * MINI_SECTOR, b"\0")

    sectors: list[bytes] = []
    fat: list[int] = []

    def place(data: bytes) -> int:
        """Append ``data`` in whole sectors chained in the FAT; return its first sector."""
        if not data:
            return END_OF_CHAIN
        first = len(sectors)
        count = -(-len(data) // SECTOR)
        for i in range(count):
            sectors.append(data[i * SECTOR:(i + 1) * SECTOR].ljust(SECTOR, b"\0"))
        fat.extend([*range(first + 1, first + count), END_OF_CHAIN])
        return first

    for entry in big:
        entry.start = place(entry.data)
    root.start, root.size = place(bytes(mini)), len(mini)
    mini_fat_start = place(b"".join(struct.pack("<I", n) for n in mini_fat).ljust(
        -(-len(mini_fat) * 4 // SECTOR) * SECTOR, b"\xff"))
    unused = -len(entries) % (SECTOR // 128)
    directory_start = place(b"".join(_directory_entry(e) for e in entries) + _empty_entry() * unused)

    fat_sectors = 0
    while fat_sectors * (SECTOR // 4) < len(fat) + fat_sectors:
        fat_sectors += 1
    if fat_sectors > DIFAT_IN_HEADER:
        raise ValueError("the VBA project is too big for this writer")
    fat_start = len(sectors)
    fat += [FAT_SECTOR] * fat_sectors
    fat += [FREE] * (fat_sectors * (SECTOR // 4) - len(fat))
    table = b"".join(struct.pack("<I", n) for n in fat)
    sectors += [table[i * SECTOR:(i + 1) * SECTOR] for i in range(fat_sectors)]

    difat = [fat_start + i for i in range(fat_sectors)] + [FREE] * (DIFAT_IN_HEADER - fat_sectors)
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x003E, 0x0003,
                         0xFFFE, 9, 6, b"\0" * 6, 0, fat_sectors, directory_start, 0, MINI_CUTOFF,
                         mini_fat_start if mini_fat else END_OF_CHAIN, -(-len(mini_fat) * 4 // SECTOR),
                         END_OF_CHAIN, 0)
    header += b"".join(struct.pack("<I", n) for n in difat)
    return header + b"".join(sectors)


def _sort_key(entry: _Entry) -> tuple:
    """Siblings are ordered by name length, then by upper-cased name (MS-CFB 2.6.4)."""
    return len(entry.name), entry.name.upper()


def _tree(children: list[_Entry], ids: dict, level: int, depth: int) -> int:
    """Link ``children`` (sorted) as a balanced tree of ``depth`` levels, all but the last full; the last
    level red and the others black makes it a valid red-black tree."""
    if not children:
        return NO_ENTRY
    middle = len(children) // 2
    node = children[middle]
    node.colour = RED if depth > 1 and level == depth - 1 else BLACK
    node.left = _tree(children[:middle], ids, level + 1, depth)
    node.right = _tree(children[middle + 1:], ids, level + 1, depth)
    return ids[id(node)]


def _directory_entry(entry: _Entry) -> bytes:
    name = entry.name.encode("utf-16-le") + b"\0\0"
    return struct.pack("<64sHBBIII16sIQQIII", name, len(name), entry.kind, entry.colour, entry.left, entry.right,
                       entry.child, b"\0" * 16, 0, 0, 0, entry.start, entry.size, 0)


def _empty_entry() -> bytes:
    return struct.pack("<64sHBBIII16sIQQIII", b"", 0, 0, 0, NO_ENTRY, NO_ENTRY, NO_ENTRY, b"\0" * 16, 0, 0, 0, 0, 0, 0)
