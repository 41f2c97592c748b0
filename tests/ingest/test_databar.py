"""Time from the data bar: parsing, finding the bar, and both OCR engines on real frames."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pytest
from PIL import Image

from deertrack_core.errors import ConfigurationError
from deertrack_core.ingest.databar import (
    find_bars,
    get_engine,
    parse_bar_text,
    read_bar,
    text_groups,
)

D = dt.datetime
IDAHO = "idaho-deer/idaho_camera_traps_loc_0044_loc_0044_im_005629.jpg"


@pytest.mark.parametrize(
    ("text", "when", "burst"),
    [
        # Reconyx, 24 h (Idaho), as Tesseract and RapidOCR write it
        ("2016-02-04 09:23:24 M 5/5 Oo =-7°C", D(2016, 2, 4, 9, 23, 24), (5, 5)),
        ("2016-02-0409:23:24 M 5/5 0-7·C", D(2016, 2, 4, 9, 23, 24), (5, 5)),
        # Reconyx HC550, 12 h, 5-pixel text (MLWIC): "PM" read as "PH"
        ("2015-11-303:54:55PHM4/5 31481F", D(2015, 11, 30, 15, 54, 55), (4, 5)),
        ("2018-10-19 10:35:09 PM  M 2/3 0 24C", D(2018, 10, 19, 22, 35, 9), (2, 3)),
        ("2016-03-18 12:05:00 AM M1/3", D(2016, 3, 18, 0, 5, 0), (1, 3)),
        ("2016-03-18 12:05:00 PM", D(2016, 3, 18, 12, 5, 0), None),
        # Bushnell / Browning (month first), and day-first with dots
        ("08/15/2021 10:32 AM 72F", D(2021, 8, 15, 10, 32), None),
        ("15.08.2021 22:10:05", D(2021, 8, 15, 22, 10, 5), None),
        # full-width colon from the recogniser
        ("2016-02-04 09：23：24", D(2016, 2, 4, 9, 23, 24), None),
        # refused: a digit runs on, AM/PM lost its first letter, impossible values, no time
        ("2015-11-30 3:55100PM", None, None),
        ("2016-03-107:42:34MM3/5", None, (3, 5)),
        ("2016-03-107:43:25M1/5 3051UF", None, (1, 5)),
        ("2016-13-40 09:23:24", None, None),
        ("2016-02-04 13:23:24 PM", None, None),
        ("HC550 HYPERFIRE", None, None),
        ("", None, None),
    ],
)
def test_parse_bar_text(text, when, burst):
    reading = parse_bar_text(text)
    assert (reading.time, reading.burst) == (when, burst)


def bar_frame(height=120, width=200, bar=6, scene=120, bottom=False) -> np.ndarray:
    frame = np.full((height, width), scene, dtype=np.uint8)
    rows = slice(height - bar, height) if bottom else slice(0, bar)
    frame[rows] = 5
    frame[rows, 10:30] = 250  # text
    return frame


def test_find_bars_on_a_light_scene():
    assert find_bars(bar_frame()) == [(0, 6)]
    assert find_bars(bar_frame(bottom=True)) == [(114, 120)]


def test_find_bars_on_a_dark_night_scene_takes_a_strip():
    # No edge between bar and scene: a strip of 2.5 % of the height at each edge.
    assert find_bars(bar_frame(height=400, scene=10)) == [(0, 10), (390, 400)]


def test_text_groups_split_at_wide_gaps_only():
    strip = np.zeros((5, 100), dtype=np.uint8)
    strip[:, 2:20] = 200  # date
    strip[:, 24:40] = 200  # time, one space away
    strip[:, 70:80] = 200  # burst, far away
    assert text_groups(strip) == [(2, 40), (70, 80)]
    assert text_groups(np.zeros((5, 10), dtype=np.uint8)) == []


def test_unknown_engine_names_the_choices():
    with pytest.raises(ConfigurationError, match="auto, rapidocr, tesseract, off"):
        get_engine("easyocr")


def test_ocr_off_reads_nothing():
    assert get_engine("off") is None


def test_rapidocr_reads_the_idaho_bar(shared_data):
    reading = read_bar(Image.open(shared_data / IDAHO), get_engine("rapidocr"))
    assert reading.time == D(2016, 2, 4, 9, 23, 24)
    assert reading.burst == (5, 5)
    assert (reading.twelve_hour, reading.ampm_unsure) == (False, False)


def test_am_and_pm_are_not_trusted_on_a_five_pixel_bar(shared_data):
    frame = shared_data / "mlwic-elk/images/CA-01_0007139.jpg"  # "2016-03-10 7:41:56 AM" by eye
    reading = read_bar(Image.open(frame), get_engine("rapidocr"))
    assert reading.time is not None and reading.time.date() == dt.date(2016, 3, 10)
    assert reading.time.strftime("%I:%M:%S") == "07:41:56"
    assert (reading.twelve_hour, reading.ampm_unsure) == (True, True)


def test_rapidocr_reads_a_night_frame_whose_bar_has_no_visible_edge(shared_data):
    frame = shared_data / "camtrapR/full_size_for_ocr/StationA/mousedeer.JPG"
    reading = read_bar(Image.open(frame), get_engine("rapidocr"))
    assert reading.time == D(2018, 10, 19, 22, 35, 9)  # "2018-10-19 10:35:09 PM" by eye
    assert (reading.twelve_hour, reading.ampm_unsure) == (True, False)  # a 17-pixel bar


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")
def test_tesseract_reads_the_idaho_bar(shared_data):
    reading = read_bar(Image.open(shared_data / IDAHO), get_engine("tesseract"))
    assert reading.time == D(2016, 2, 4, 9, 23, 24)
