"""A dbt project zip is read safely: bombs, symlinks, too many files and paths outside the
project are refused as a whole; a wrapping folder and build output are left out."""

from __future__ import annotations

import io
import zipfile

import pytest

from etlfabric.errors import Invalid
from etlfabric.transformations import archive
from tests.dbt_zips import make_zip


def refused(data: bytes) -> str:
    with pytest.raises(Invalid) as caught:
        archive.read_project(data)
    assert caught.value.field == "file"
    return caught.value.message


def test_a_wrapping_folder_is_taken_off_and_build_output_left_out():
    files = {"dbt_project.yml": "name: x\n", "models/a.sql": "select 1", "target/run.json": "{}"}
    files[".git/HEAD"] = "ref"
    assert set(archive.read_project(make_zip(files, folder="x/"))) == {
        "dbt_project.yml",
        "models/a.sql",
    }


def test_a_zip_bomb_is_refused_before_it_is_unpacked(monkeypatch):
    monkeypatch.setattr(archive, "MAX_UNCOMPRESSED", 1_000_000)
    bomb = make_zip({"models/a.sql": "0" * 2_000_000})
    assert len(bomb) < 10_000
    assert "unpacks to more than" in refused(bomb)


def test_a_member_that_inflates_past_its_header_is_refused():
    data = bytearray(make_zip({"models/a.sql": "x" * 1000}, folder=""))
    # the central directory's uncompressed size says 10 bytes; the data inflates to 1000:
    # reading stops at 10 (zipfile then finds the checksum wrong)
    directory = data.rindex(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = (10).to_bytes(4, "little")
    assert "'models/a.sql' could not be unpacked (Bad CRC-32" in refused(bytes(data))


def test_symlinks_too_many_files_and_oversized_uploads_are_refused(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as written:
        link = zipfile.ZipInfo("models/a.sql")
        link.create_system, link.external_attr = 3, 0o120777 << 16
        written.writestr(link, "/etc/passwd")
    assert "symbolic link" in refused(buffer.getvalue())
    monkeypatch.setattr(archive, "MAX_FILES", 3)
    assert "entries" in refused(make_zip({f"models/m{i}.sql": "select 1" for i in range(5)}))
    assert "larger than 20 MB" in refused(b"PK" + b"\0" * archive.MAX_COMPRESSED)
