"""`ocr read --tables` and `--format markdown`, run as a user runs them."""

import json

from testkit.tables import DrawnTable, draw_page
from tests.engine.test_cli_formats import run_ocr

TABLE = [["Item", "Qty", "Price"], ["Apple", "3", "4.50"], ["Banana", "12", "0.25"], ["Cherry", "7", "19.00"]]


def test_tables_fills_the_json_pages_tables_and_markdown_writes_a_pipe_table(tmp_path):
    path = tmp_path / "order.png"
    draw_page([DrawnTable(TABLE, style="header")]).save(path)
    plain = json.loads(run_ocr("read", "--json", str(path)).stdout)["results"][0]
    assert plain["pages"][0]["tables"] == []
    done = run_ocr("read", "--json", "--tables", str(path))
    assert done.returncode == 0, done.stderr
    (table,) = json.loads(done.stdout)["results"][0]["pages"][0]["tables"]
    assert [[c["text"] for c in table["cells"] if c["row"] == r] for r in range(table["rows"])] == TABLE
    markdown = run_ocr("read", "--format", "markdown", str(path))
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.decode().startswith("| Item | Qty | Price |\n| --- | --- | --- |\n| Apple | 3 | 4.50 |")
