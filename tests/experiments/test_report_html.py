"""The what-if report as its reader sees it: opened in a real headless Chromium (Debian's
package, driven by Playwright), its KPI and paired-difference tables are tables and its plots
load; its headline names the winner; its Reproduce block reruns the study to the same numbers."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from experiments.evaluate import evaluate
from tests.browser import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[2]
POLICIES = ["base_stock", "transfer_rules"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    report_dir = tmp_path_factory.mktemp("report")
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(
            config_name="evaluate",
            overrides=[
                "scenario=city_fresh",
                f"policies=[{','.join(POLICIES)}]",
                "replications=3",
                "days=3",
                "warmup_days=1",
                "n_jobs=1",
                "logger=none",
                f"report_dir={report_dir}",
            ],
        )
    return evaluate(cfg), report_dir


@pytest.fixture(scope="module")
def page(study):
    playwright = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), (
        f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package"
    )
    _, report_dir = study
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto((report_dir / "report.html").as_uri())
        yield page
        browser.close()


def test_the_kpi_and_paired_difference_tables_are_tables(study, page):
    result, _ = study
    tables = page.locator("table")
    assert tables.count() >= 3  # KPIs, paired differences, the reproduce inputs
    kpi_table = tables.nth(0)
    header = [c.strip() for c in kpi_table.locator("thead th").all_inner_texts()]
    assert header == ["KPI", *POLICIES, "best"]
    kpi_rows = kpi_table.locator("tbody tr")
    first_cells = kpi_rows.locator("td:first-child").all_inner_texts()
    assert "profit_per_day" in first_cells and "fill_rate" in first_cells
    assert all(kpi_rows.nth(i).locator("td").count() == len(header) for i in range(3))
    mean = result["policies"]["transfer_rules"]["profit_per_day"]["mean"]
    row = kpi_table.locator(
        "tbody tr", has=page.locator("td", has_text=re.compile("^profit_per_day$"))
    )
    assert f"{mean:,.0f}" in row.locator("td").nth(2).inner_text()
    paired = tables.nth(1)
    assert paired.locator("tbody tr td:first-child").all_inner_texts() == ["transfer_rules"]
    # no table row leaks into running text
    assert not any("|---" in t or t.count("|") > 2 for t in page.locator("p").all_inner_texts())


def test_every_plot_loads_in_the_page(page):
    images = page.locator("img")
    assert images.count() >= 2
    for i in range(images.count()):
        width = images.nth(i).evaluate("img => img.complete ? img.naturalWidth : 0")
        assert width > 0, images.nth(i).get_attribute("alt")


def test_the_headline_names_the_winner_and_its_paired_interval(study, page):
    result, _ = study
    means = {n: result["policies"][n]["profit_per_day"]["mean"] for n in POLICIES}
    winner = max(means, key=means.__getitem__)
    headline = page.locator("p", has=page.locator("strong")).first.inner_text()
    assert headline.startswith(winner)
    assert "95 % CI of the paired difference" in headline and "over 3 seeds" in headline


def test_the_reproduce_block_reruns_the_study_to_the_same_numbers(study):
    result, report_dir = study
    md = (report_dir / "report.md").read_text()
    block = md.split("## Reproduce", 1)[1].split("```bash\n", 1)[1].split("\n```", 1)[0]
    assert block.startswith("python -m experiments.evaluate --config-dir ")
    for name in POLICIES:  # the tuned parameter files it read, with their checksums
        assert f"| {name} tuned parameters | `reports/baseline/city_fresh/{name}.json` |" in md
    args = block.split()[1:]
    out = subprocess.run(
        [sys.executable, *args, f"hydra.run.dir={report_dir}/rerun"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    again = json.loads(out.stdout.strip().splitlines()[-1])
    assert again["policies"] == json.loads(json.dumps(result["policies"], default=float))
    assert again["seeds"] == result["seeds"]
