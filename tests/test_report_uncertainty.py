"""Tests for the report of an uncertainty analysis: headlines with uncertainty intervals and
chances, the table, tornado charts, what to measure next, and the assumptions a scenario or a
priors file changed (also in a plain comparison's report)."""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lcsim
from lcsim.api import load
from lcsim.comparison.result import load as load_comparison
from lcsim.config.priors import SHIPPED as SHIPPED_PRIORS
from lcsim.config.scenario import Scenario
from lcsim.reports.assumed import moved
from lcsim.reports.format import fmt_change_range, fmt_share, title
from lcsim.reports.tornado import top_drivers
from lcsim.reports.uncertainty import chance_words, monte_carlo_note
from lcsim.reports.unknown import priorities

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SMALL = ["population.class_size=40", "population.cohorts=2"]
DRAWS = 16
MINUS = "\u2212"
OVERRIDE = "Advisory colleges: advisor_notice = 0.45 (shipped default 0.35): chance an advisor"
PEER_PRIOR = "prior: {dist: beta, a: 4.5, b: 177.3}"


def _scenarios(*names: str) -> list[Scenario]:
    return [load(SCENARIOS / f"{n}.yaml", SMALL) for n in names]


@pytest.fixture(scope="module")
def priors_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped priors with one prior changed: peer_notice uniform 0.02 to 0.2."""
    text = SHIPPED_PRIORS.read_text(encoding="utf-8")
    assert text.count(PEER_PRIOR) == 1
    path = tmp_path_factory.mktemp("priors") / "priors.yaml"
    path.write_text(text.replace(PEER_PRIOR, "prior: {dist: uniform, low: 0.02, high: 0.2}"),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def uncertain(tmp_path_factory: pytest.TempPathFactory, priors_file: Path) -> Path:
    """Baseline, coached LC and advisory colleges (which sets advisor_notice 0.45), with an
    uncertainty analysis of 16 draws on the changed priors and two thresholds."""
    out = tmp_path_factory.mktemp("unc") / "cmp"
    lcsim.compare(_scenarios("baseline", "coached-lc", "advisory-colleges"), out=out,
                  replications=4, uncertainty=DRAWS, workers=1, priors=priors_file,
                  thresholds={"graduated_4yr": [0.0, 0.01]}, progress=False)
    return out


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same kind of comparison without an uncertainty analysis."""
    out = tmp_path_factory.mktemp("plain") / "cmp"
    lcsim.compare(_scenarios("baseline", "advisory-colleges"), out=out, replications=3,
                  workers=1, progress=False)
    return out


def _page(directory: Path) -> str:
    return (directory / "report.html").read_text(encoding="utf-8")


def _text(fragment: str) -> str:
    """An HTML fragment as the reader sees it (tags dropped, entities decoded)."""
    return htmllib.unescape(re.sub(r"<[^>]+>", "", fragment))


def _section(page: str, heading: str) -> str:
    m = re.search(r"<h2>" + re.escape(heading) + r"</h2>(.*?)(?=<h2>|</main>)", page, re.S)
    assert m, f"no section {heading!r}"
    return m.group(1)


def _headline(page: str, scenario: str) -> str:
    m = re.search(r"<div class='headline'><h3>" + re.escape(title(scenario))
                  + r"</h3>(.*?)</div>", page, re.S)
    assert m, f"no headline for {scenario}"
    return _text(m.group(1))


def _pts(*xs: float) -> list[str]:
    """Differences of shares in points as the report writes them (signed, one decimal, two
    when all are below 0.1 points)."""
    digits = 2 if all(abs(100 * x) < 0.1 for x in xs) else 1
    out = []
    for x in xs:
        s = f"{100 * x:+.{digits}f}"
        out.append((f"{0:.{digits}f}" if float(s) == 0 else s).replace("-", MINUS))
    return out


def _pct(p: float) -> str:
    return {0.0: "0%", 1.0: "100%"}.get(p, f"{100 * p:.0f}%")


def test_headline_states_central_result_then_what_is_not_known(uncertain: Path) -> None:
    page = _page(uncertain)
    table = pd.read_csv(uncertain / "comparison.csv").set_index(["scenario", "metric"])
    unc = pd.read_csv(uncertain / "uncertainty.csv").groupby(["proposal", "metric"]).first()
    for proposal in ("coached-lc", "advisory-colleges"):
        text = _headline(page, proposal)
        for metric in ("graduated_4yr", "attrition", "helped_within_30d"):
            c, u = table.loc[(proposal, metric)], unc.loc[(proposal, metric)]
            d, lo, hi = _pts(c["diff"], c["diff_ci_low"], c["diff_ci_high"])
            if c["diff"] == c["diff_ci_low"] == c["diff_ci_high"] == 0:
                assert ("no change if the central assumptions hold (identical in every "
                        "replication)") in text
            else:
                assert f"{d} points if the central assumptions hold (95% CI {lo} to {hi}" in text
            a, b = _pts(u["ui95_low"], u["ui95_high"])
            assert f"allowing for what is not known, {a} to {b} points" in text
            shares = {"better": u["prob_better"], "worse": u["prob_worse"],
                      "no change": 1 - u["prob_better"] - u["prob_worse"]}
            first = max(shares, key=lambda k: shares[k])
            if shares[first] < 1:  # the most frequent outcome leads
                assert f"{first} in {_pct(shares[first])} of plausible cases" in text
        assert text.startswith("4-year graduation vs Baseline: ")
    coached = _headline(page, "coached-lc")
    assert "better in 100% of plausible cases" in coached  # the coached LC helps sooner
    assert "within 90 days" in coached and "Faculty load" in coached


def test_uncertainty_table_gives_intervals_chances_and_thresholds(uncertain: Path) -> None:
    section = _section(_page(uncertain), "What is not known")
    unc = pd.read_csv(uncertain / "uncertainty.csv")
    rows = unc[(unc["proposal"] == "coached-lc") & (unc["metric"] == "graduated_4yr")]
    assert list(rows["threshold"]) == [0.0, 0.01]
    row = rows.iloc[0]
    m = re.search(r"Coached LC vs Baseline</th></tr><tr>(.*?)</tr>", section, re.S)
    assert m, "no table rows for the coached LC"
    cells = [_text(c) for c in re.findall(r"<td>(.*?)</td>", m.group(1), re.S)]
    assert cells[0] == "4-year graduation"
    a, b = _pts(row["ui95_low"], row["ui95_high"])
    assert cells[2] == f"{a} to {b} points"
    assert cells[3] == fmt_share(row["prob_better"]) and cells[4] == fmt_share(row["prob_worse"])
    assert cells[5] == fmt_share(row["share_assumptions"])
    assert cells[6] == (f"at least as good: {fmt_share(rows.iloc[0]['prob_better_by_threshold'])}"
                        f"better by 1.0 point or more: "
                        f"{fmt_share(rows.iloc[1]['prob_better_by_threshold'])}")


def test_tornado_per_proposal_named_by_its_top_driver(uncertain: Path) -> None:
    page = _page(uncertain)
    section = _section(page, "What is not known")
    drivers = pd.read_csv(uncertain / "drivers.csv")
    for proposal in ("coached-lc", "advisory-colleges"):
        png = uncertain / "figures" / f"tornado_{proposal}.png"
        assert png.read_bytes().startswith(b"\x89PNG")
        fig = re.search(r"<figure><img alt='What drives " + re.escape(title(proposal))
                        + r"' src='data:image/png;base64,[^']+'><figcaption>(.*?)</figcaption>",
                        section, re.S)
        assert fig, f"no tornado for {proposal}"
        rows = drivers[(drivers["proposal"] == proposal) & (drivers["metric"] == "graduated_4yr")
                       & (drivers["status"] == "varied")]
        top = rows.loc[rows["share"].idxmax()]
        caption = _text(fig.group(1))
        assert f"4-year graduation: largest shares {top['assumption']} " \
               f"({fmt_share(top['share'])})" in caption
        if (rows["p_holm"] >= 0.05).all() and (drivers.loc[
                (drivers["proposal"] == proposal) & (drivers["metric"] == "helped_within_30d"),
                "p_holm"] >= 0.05).all():
            assert f"With {DRAWS} draws no single assumption stands out from chance" in caption


def test_what_to_measure_next_names_the_top_assumption_and_its_evidence(
        uncertain: Path, priors_file: Path) -> None:
    from lcsim.config.priors import load_priors

    section = _section(_page(uncertain), "What is not known")
    measure = section.split("<h3>What to measure next</h3>", 1)[1]
    drivers = pd.read_csv(uncertain / "drivers.csv")
    key = drivers[drivers["metric"].isin(["graduated_4yr", "attrition", "helped_within_30d"])
                  & (drivers["status"] == "varied")]
    strong = key[key["p_holm"] < 0.05]
    top = (strong if not strong.empty else key).sort_values("share").iloc[-1]
    first = re.search(r"<li>(.*?)</li>", measure, re.S)
    assert first
    entry = load_priors(priors_file).entries[top["assumption"]]
    item = _text(first.group(1))
    assert item.startswith(f"{top['assumption']}: {entry.meaning}")
    assert f"Evidence today: {entry.source}" in item
    prop = title(str(top["proposal"]))
    prop = f"{prop}'" if prop.endswith("s") else f"{prop}'s"
    assert f"{prop} difference in" in item and f"({fmt_share(top['share'])})" in item
    if strong.empty:
        assert f"With {DRAWS} draws, no single assumption" in _text(measure)


def test_assumptions_section_lists_scenario_and_priors_changes(uncertain: Path) -> None:
    section = _text(_section(_page(uncertain), "Assumptions and limits"))
    assert OVERRIDE in section
    assert "holds each at the scenario's value in every draw" in section
    assert re.search(r"peer_notice: prior beta\(4\.5, 177\), 95% range 0\.00\d+ to "
                     r"0\.05\d* \u2192 uniform 0\.02 to 0\.2 \(chance a contact with a friend",
                     section)
    assert "Confidence intervals cover chance variation between replications only. The " \
           "uncertainty intervals add" in section
    assert [m.name for m in moved(load_comparison(uncertain))] == ["peer_notice"]


def test_method_note_explains_the_draws(uncertain: Path) -> None:
    page = _page(uncertain)
    method = _text(page.split("<h2>What is not known</h2>")[0].split("resamples")[-1])
    assert f"drawn {DRAWS} times from the priors file" in method
    assert "one replication each, with the same replication seeds in every scenario" in method
    assert "not uncertainty in the model's assumptions" not in page
    prov = _text(_section(page, "Provenance"))
    assert f"uncertainty draws{DRAWS}" in prov and "replications per draw1" in prov


def test_plain_report_has_no_uncertainty_but_lists_scenario_assumptions(plain: Path) -> None:
    page = _page(plain)
    assert "What is not known" not in page and "allowing for what is not known" not in page
    assert not list((plain / "figures").glob("tornado_*.png"))
    assert "not uncertainty in the model's assumptions" in page
    section = _text(_section(page, "Assumptions and limits"))
    assert OVERRIDE in section
    assert "every draw" not in section and "priors" not in section
    text = _headline(page, "advisory-colleges")
    assert text.startswith("4-year graduation ") and " vs Baseline; attrition " in text


def _row(better: float, worse: float, **extra: float) -> pd.Series:
    return pd.Series({"higher_is_better": True, "prob_better": better, "prob_worse": worse,
                      "sd": 0.01, "share_monte_carlo": 0.2, **extra})


def test_chance_words_lead_with_what_happens_most() -> None:
    assert _text(chance_words(_row(0.87, 0.1))) == (
        "better in 87% of plausible cases (worse in 10%, no change in 3%)")
    assert _text(chance_words(_row(0.2, 0.7))) == (
        "worse in 70% of plausible cases (better in 20%, no change in 10%)")
    assert _text(chance_words(_row(0.3, 0.05))) == (
        "no change in 65% of plausible cases (better in 30%, worse in 5%)")
    assert _text(chance_words(_row(1.0, 0.0))) == "better in 100% of plausible cases"
    assert chance_words(_row(np.nan, np.nan).replace({True: None})) == ""
    assert fmt_share(0.996) == ">99%" and fmt_share(0.004) == "<1%"


def test_monte_carlo_note_only_when_noise_dominates() -> None:
    assert "simulation noise" in monte_carlo_note(_row(0.5, 0.1, share_monte_carlo=0.8))
    assert monte_carlo_note(_row(0.5, 0.1, share_monte_carlo=0.3)) == ""
    assert monte_carlo_note(_row(0.5, 0.1, share_monte_carlo=1.0, sd=0.0)) == ""


def test_change_range_in_report_units() -> None:
    assert fmt_change_range("graduated_4yr", -0.008, 0.07) == f"{MINUS}0.8 to +7.0 points"
    assert fmt_change_range("time_to_intervention_median_days", -30, -3) == "3 to 30 days shorter"
    assert (fmt_change_range("time_to_intervention_median_days", -5, 2)
            == "5.0 days shorter to 2.0 longer")


def test_top_drivers_keep_varied_assumptions_largest_first() -> None:
    drivers = pd.DataFrame({
        "proposal": "p", "metric": "graduated_4yr",
        "assumption": ["a", "b", "c", "d", "e"],
        "status": ["varied", "varied", "fixed prior", "varied", "held by both scenarios"],
        "share": [0.1, 0.3, 0.0, 0.0, 0.0], "p_holm": [0.5, 0.01, 1.0, 1.0, 1.0],
        "diff_at_p10": 0.0, "diff_at_p90": 0.0, "rank": [2, 1, 3, 4, 5]})
    top = top_drivers(drivers, "p", "graduated_4yr")
    assert list(top["assumption"]) == ["b", "a"] and list(top["stands_out"]) == [True, False]
    found, strong = priorities(drivers)
    assert strong and [p.name for p in found] == ["b"]
    found, strong = priorities(drivers.assign(p_holm=1.0))
    assert not strong and [p.name for p in found] == ["b", "a"]
