# Reads an XLSX with openpyxl (Debian's python3-openpyxl), a reader that is not ours, and prints
# each sheet as JSON: its frozen cell, column widths, and every cell's value, type and number format.
import json, sys, datetime
from openpyxl import load_workbook

book = load_workbook(sys.argv[1])
out = []
for ws in book.worksheets:
    rows = []
    for row in ws.iter_rows():
        cells = []
        for c in row:
            v = c.value
            kind = 'empty' if v is None else 'number' if isinstance(v, (int, float)) and not isinstance(v, bool) else 'date' if isinstance(v, datetime.datetime) else 'text'
            cells.append({'v': v.isoformat() if kind == 'date' else v, 't': kind, 'f': c.number_format})
        rows.append(cells)
    widths = {k: d.width for k, d in ws.column_dimensions.items() if d.width}
    out.append({'name': ws.title, 'freeze': ws.freeze_panes, 'widths': widths, 'rows': rows})
json.dump(out, sys.stdout, ensure_ascii=False)
