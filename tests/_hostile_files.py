"""Hostile and faulty input files, made in code at small sizes, for the hostile-files tests."""

from __future__ import annotations

import zipfile
from pathlib import Path

from conftest import INSIDE_LATLNG, write_text

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
       'package/2006/content-types"><Default Extension="rels" ContentType="application/'
       'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
       '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
       'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
       '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
       'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
       '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
       '</Types>')
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
         'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
         f'{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
       f'org/spreadsheetml/2006/main" xmlns:r="{_REL}"><sheets><sheet name="Sheet1" sheetId="1"'
       ' r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{_REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="'
            f'{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def xlsx(path: Path, rows_xml: str, *, strings=("lat", "lon", "time"),
         dimension: str | None = None) -> Path:
    """A minimal .xlsx written part by part, as a hostile tool might."""
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'
             + (f'<dimension ref="{dimension}"/>' if dimension else "")
             + f"<sheetData>{rows_xml}</sheetData></worksheet>")
    shared = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}">'
              + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in (("[Content_Types].xml", _CT), ("_rels/.rels", _RELS),
                           ("xl/workbook.xml", _WB), ("xl/_rels/workbook.xml.rels", _WB_RELS),
                           ("xl/worksheets/sheet1.xml", sheet),
                           ("xl/sharedStrings.xml", shared)):
            book.writestr(name, text)
    return path


def header_row() -> str:
    return ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
            '<c r="C1" t="s"><v>2</v></c></row>')


def wide_xlsx(path: Path, rows: int = 3_000) -> Path:
    """Each row has a cell out at column XFD (16,384): a few KB that would pad to millions."""
    body = "".join(f'<row r="{i}"><c r="A{i}"><v>42.9</v></c><c r="XFD{i}"><v>1</v></c></row>'
                   for i in range(2, rows + 2))
    return xlsx(path, header_row() + body)


def deep_gpx(path: Path, depth: int = 100_000) -> Path:
    """A GPX whose one track point nests extension elements ``depth`` deep (about 1.4 MB)."""
    lat, lng = INSIDE_LATLNG[0]
    inner = "<ext>" * depth + "</ext>" * depth
    return write_text(path, '<?xml version="1.0"?><gpx version="1.1" creator="x" '
                      'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>V1</name><trkseg>'
                      f'<trkpt lat="{lat}" lon="{lng}"><time>2025-06-01T20:00:00Z</time>'
                      f"<extensions>{inner}</extensions></trkpt></trkseg></trk></gpx>")


def entity_gpx(path: Path, target: Path) -> Path:
    """A GPX with a billion-laughs entity and an external entity naming ``target``."""
    laughs = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 9))
    return write_text(path, f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY l0 "lol">{laughs}'
                      f'<!ENTITY secret SYSTEM "file://{target}">]><gpx><trk><name>&l8;'
                      "&secret;</name></trk></gpx>")


def incidents_csv(path: Path, *, n: int = 30, extra: str = "") -> Path:
    """Clean incidents (lat, lon, time, category) with ``extra`` rows appended as written."""
    rows = [f"{INSIDE_LATLNG[i % 6][0]},{INSIDE_LATLNG[i % 6][1]},"
            f"2025-06-{1 + i % 28:02d} 2{i % 4}:15,fight" for i in range(n)]
    return write_text(path, "lat,lon,time,category\n" + "\n".join(rows) + "\n" + extra)
