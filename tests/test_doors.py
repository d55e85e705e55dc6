"""Nothing lost at the doors: folders that cannot be written, files that cannot be read, outputs that exist.

Each case is one sentence, exit status 1 and no file changed. Tests run as root in some places,
and root may read and write anything whatever the permissions say; so the permission cases run
twice: simulated (``os.access`` and ``open`` answering as for an ordinary user), and for real as
an ordinary user (the current one when not root, else "nobody" through ``setpriv``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from rfm_excel.doors.cli import main
from rfm_excel.doors.files import score_file

ALREADY = "already exists; choose another name or add --force to overwrite it."


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(code: int, err: str, *words: str) -> None:
    assert code == 1, err
    assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, (word, err)


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# ------------------------------------------------------------ folders that cannot be written, simulated


def _commands(book: Path, locked: Path) -> dict[str, list]:
    """Each door that writes a file, writing into ``locked``."""
    return {"score in place": ["score", locked / "shop.xlsx"],
            "score --output": ["score", book, "--output", locked / "out.xlsx"],
            "template": ["template", locked / "new.xlsx"],
            "demo": ["demo", locked / "demo.xlsx"],
            "export": ["export", book, "--output", locked / "plan.csv"],
            "compare --output": ["compare", book, "--output", locked / "moved.xlsx"]}


@pytest.mark.parametrize("door", list(_commands(Path(), Path())))
def test_a_folder_that_cannot_be_written_is_one_sentence_before_any_work(capsys, hand_book, monkeypatch, door):
    locked = hand_book.parent / "locked"
    locked.mkdir()
    shutil.copyfile(hand_book, locked / "shop.xlsx")
    monkeypatch.setattr("rfm_excel.doors.files.os.access",
                        lambda path, mode: not (Path(path) == locked and mode & os.W_OK))
    scored = []
    monkeypatch.setattr("rfm_excel.doors.files.core.score", lambda *a, **k: scored.append(1))
    before = listing(locked)
    code, out, err = run(capsys, *_commands(hand_book, locked)[door])
    one_sentence(code, err, f"You may not write in the folder {locked}", "or get permission to write in that folder")
    assert out == "" and scored == [] and listing(locked) == before


def test_a_folder_that_refuses_the_temporary_file_is_one_sentence_too(capsys, hand_book, helpers, monkeypatch):
    """Where the permission check cannot tell (Windows' folder permissions), the write itself is refused."""
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("rfm_excel.doors.files.tempfile.mkstemp", refused)
    before = helpers.sha(hand_book)
    code, _, err = run(capsys, "score", hand_book)
    one_sentence(code, err, "Could not write shop.xlsx (Permission denied); the original is unchanged.")
    assert helpers.sha(hand_book) == before


@pytest.mark.parametrize("name", ["shop.xlsx", "orders.csv"])
def test_a_file_that_cannot_be_read_is_one_sentence(capsys, hand_book, monkeypatch, name):
    path = hand_book if name == "shop.xlsx" else hand_book.with_name(name)
    path.write_bytes(path.read_bytes() if path.exists() else b"Customer ID,Order Date,Amount\nA,2024-01-01,5\n")
    real_open = open

    def unreadable(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)
    monkeypatch.setattr("rfm_excel.doors.files.open", unreadable, raising=False)
    for command in (["score", path], ["export", path]):
        code, _, err = run(capsys, *command)
        one_sentence(code, err, f"{name} cannot be read (Permission denied); ask its owner for access to it")
    assert sorted(p.name for p in hand_book.parent.iterdir()) == sorted({"shop.xlsx", name})


# ------------------------------------------------------------ the same, for real, as an ordinary user

_AS_USER = """
import contextlib, io, json, sys
from rfm_excel.doors.cli import main
answers = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    answers.append([code, err.getvalue()])
print(json.dumps(answers))
"""


def _ordinary_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: no ordinary user to run as")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_as_an_ordinary_user_locked_folders_and_unreadable_files_are_one_sentence(hand_book):
    user = _ordinary_user()
    shared = Path(tempfile.mkdtemp(prefix="rfm-permissions-"))  # outside pytest's own folder, which is private
    try:
        shared.chmod(0o755)
        locked, open_ = shared / "locked", shared / "open"
        locked.mkdir(), open_.mkdir()
        shutil.copyfile(hand_book, locked / "shop.xlsx")
        shutil.copyfile(hand_book, open_ / "shop.xlsx")
        shutil.copyfile(hand_book, open_ / "secret.xlsx")
        (open_ / "secret.csv").write_text("Customer ID,Order Date,Amount\nA,2024-01-01,5\n")
        for path in (locked / "shop.xlsx", open_ / "shop.xlsx"):
            path.chmod(0o666)  # writable: only the folder stands in the way
        for path in (open_ / "secret.xlsx", open_ / "secret.csv"):
            path.chmod(0o000)
        locked.chmod(0o555)
        open_.chmod(0o777)
        commands = _commands(open_ / "shop.xlsx", locked)
        commands.update({"unreadable workbook": ["score", open_ / "secret.xlsx"],
                         "unreadable CSV": ["score", open_ / "secret.csv"]})
        before = {folder: sorted(os.listdir(folder)) for folder in (locked, open_)}
        done = subprocess.run([*user, sys.executable, "-c", _AS_USER,
                               json.dumps([[str(a) for a in argv] for argv in commands.values()])],
                              capture_output=True, text=True, timeout=300, cwd=shared)
        assert done.returncode == 0, done.stderr
        answers = dict(zip(commands, json.loads(done.stdout), strict=False))
        for door, (code, err) in answers.items():
            if door.startswith("unreadable"):
                one_sentence(code, err, "cannot be read (Permission denied)")
            else:
                one_sentence(code, err, f"You may not write in the folder {locked}")
        assert {folder: sorted(os.listdir(folder)) for folder in (locked, open_)} == before
    finally:
        for folder in (shared, *shared.iterdir()):
            folder.chmod(0o777)
        shutil.rmtree(shared)


# ------------------------------------------------------------ an output that exists is not replaced without --force


def test_score_refuses_to_replace_another_workbook_without_force(capsys, hand_book, helpers, tmp_path):
    other = tmp_path / "last week.xlsx"
    score_file(hand_book, other)  # a scored workbook, Score History and all
    before, book = helpers.sha(other), helpers.sha(hand_book)
    code, out, err = run(capsys, "score", hand_book, "--output", other)
    one_sentence(code, err, f"{other} {ALREADY}")
    assert out == "" and helpers.sha(other) == before and helpers.sha(hand_book) == book
    code, out, err = run(capsys, "score", hand_book, "--output", other, "--force", "--as-of", "2024-05-31")
    assert (code, err) == (0, "") and out.endswith(f"Wrote {other}\n")
    assert helpers.sha(other) != before and helpers.sha(hand_book) == book


def test_score_into_the_input_itself_needs_no_force(capsys, hand_book, monkeypatch):
    monkeypatch.chdir(hand_book.parent)
    assert run(capsys, "score", hand_book, "--output", "./shop.xlsx")[0] == 0


def test_a_csv_is_not_scored_over_its_scored_workbook_without_force(capsys, tmp_path, helpers):
    csv = tmp_path / "orders.csv"
    csv.write_text("Customer ID,Order Date,Amount\nA,2024-01-01,5\nB,2024-02-01,7\n")
    assert run(capsys, "score", csv)[0] == 0
    scored = tmp_path / "orders scored.xlsx"
    before = helpers.sha(scored)
    code, _, err = run(capsys, "score", csv)
    one_sentence(code, err, f"{scored} {ALREADY}")
    assert helpers.sha(scored) == before
    assert run(capsys, "score", csv, "--force")[0] == 0


def test_demo_and_compare_refuse_to_replace_a_workbook_without_force(capsys, hand_book, helpers, tmp_path):
    existing = tmp_path / "mine.xlsx"
    existing.write_bytes(hand_book.read_bytes())
    before = helpers.sha(existing)
    code, out, err = run(capsys, "demo", existing)
    one_sentence(code, err, f"{existing} {ALREADY}")
    code, out, err = run(capsys, "compare", hand_book, "--output", existing)
    one_sentence(code, err, f"{existing} {ALREADY}")
    assert helpers.sha(existing) == before
    code, out, err = run(capsys, "demo", existing, "--force")
    assert (code, err) == (0, "") and "260 customers scored" in out


def test_export_replaces_its_own_csv_as_it_is_made_to_be_exported_again(capsys, hand_book):
    assert run(capsys, "export", hand_book)[0] == 0
    assert run(capsys, "export", hand_book, "--as-of", "2024-09-30")[0] == 0
