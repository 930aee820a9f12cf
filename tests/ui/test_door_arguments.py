"""The door's shape check of an event's arguments, for the file lists of upload handlers: real
files come from Reflex's upload endpoint; over the websocket only JSON can stand in their place."""

from __future__ import annotations

import io

import pytest
import reflex as rx
from starlette.datastructures import UploadFile

from paysim_app.ui import door


@pytest.mark.parametrize("hostile", [[""], [5], [{"name": "x.png"}], "x.png", None])
def test_a_file_list_is_files_or_refused(hostile):
    assert not door._fits(hostile, list[rx.UploadFile])


def test_files_and_an_empty_list_pass():
    upload = UploadFile(io.BytesIO(b"%PDF-1.4"), filename="a.pdf")
    assert door._fits([upload], list[rx.UploadFile])
    assert door._fits([], list[rx.UploadFile])
    assert door._fits(upload, rx.UploadFile)
    assert not door._fits("a.pdf", rx.UploadFile)


def test_other_lists_keep_their_lenient_check():
    assert door._fits(["1", 2], list[int])
    assert not door._fits("1,2", list[int])
