"""Models, figures, code, free text and notebooks: nothing a person must read passes alone."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from haven_disclosure import check_file
from haven_disclosure.html_tables import extract_tables
from haven_disclosure.rules_other import stated_residual_dof

from tests.fixtures.media import jpeg, png

from .sdc_helpers import finding, flagged

STATSMODELS = """                            OLS Regression Results
==============================================================================
Dep. Variable:                      y   R-squared:                       0.512
No. Observations:                  12   AIC:                             30.1
Df Residuals:                       9   BIC:                             31.6
Df Model:                           2
"""
R_LM = "Residual standard error: 1.53 on 48 degrees of freedom\nMultiple R-squared: 0.6"
R_GLM = ("    Null deviance: 43.2  on 31  degrees of freedom\n"
         "Residual deviance: 21.4  on 29  degrees of freedom\n")


@pytest.mark.parametrize("text, stated", [
    (STATSMODELS, [9]), (R_LM, [48]), (R_GLM, [29]),
    ("statistic,value\ndf_resid,120\nnobs,123\n", [120]),
    ("residual df: 15", [15]),
    ("No degrees of freedom here; Df Model: 2", []),
])
def test_residual_dof_is_found_where_stated(text, stated):
    assert stated_residual_dof(text) == stated


def test_model_with_too_few_residual_dof_fails(write):
    result = check_file(write("ols.txt", STATSMODELS), kind="model")
    dof = finding(result, "residual_dof", table=None)
    assert dof.verdict.value == "fail"
    assert dof.message == "residual degrees of freedom 9 below 10 in ols.txt"


def test_model_with_enough_residual_dof_passes(write):
    result = check_file(write("lm.txt", R_LM), kind="model")
    assert result.verdict.value == "pass"
    result = check_file(write("lm.txt", R_LM), kind="model",
                        overrides={"min_residual_dof": 50})
    assert result.verdict.value == "fail"


def test_model_without_stated_dof_needs_review(write):
    result = check_file(write("coefs.csv", "term,coef\nage,0.5\n"), kind="model")
    assert finding(result, "residual_dof", table=None).verdict.value == "review"


def test_undeclared_model_summary_in_text_is_checked_and_still_read(write):
    result = check_file(write("summary.txt", STATSMODELS))
    assert (result.kind, result.kind_guessed) == ("model", True)
    rules = {f.rule: f.verdict.value for f in result.findings}
    assert rules == {"residual_dof": "fail", "human_review": "review"}


@pytest.mark.parametrize("name, content, kind", [
    ("plot.png", png(), "figure"),
    ("plot.jpg", jpeg(), "figure"),
    ("plot.svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "figure"),
    ("analysis.py", b"print('hello')\n", "code"),
    ("notes.md", b"Eleven patients in the north ward.\n", "text"),
    ("model.bin", b"\x00\x01\x02 opaque", "other"),
])
def test_files_a_person_must_read_get_review_never_pass(write, name, content, kind):
    result = check_file(write(name, content))
    assert (result.kind, result.verdict.value) == (kind, "review")
    assert finding(result, "human_review", table=None).parameters == {"kind": kind}


def test_figure_that_is_not_what_its_name_says_fails(write):
    result = check_file(write("plot.png", b"region,n\nNorth,3\n"))
    assert result.verdict.value == "fail"
    assert "its name says PNG but the content is text" in finding(result, "content", table=None).message


def test_empty_figure_is_unreadable(write):
    from haven_disclosure import UnreadableTable
    with pytest.raises(UnreadableTable):
        check_file(write("plot.png", b""))


def _crosstab_html() -> str:
    df = pd.DataFrame({"region": ["N", "N", "S", "S"], "sex": ["F", "M", "F", "M"],
                       "n": [12, 3, 40, 20]})
    crosstab = pd.crosstab(df.region, df.sex, values=df.n, aggfunc="sum", margins=True)
    long = df.set_index(["region", "sex"])
    return ("<html><body><div class='jp-Cell-inputArea'><pre>df.head()</pre></div>"
            + crosstab.to_html() + "<p>text</p>" + long.to_html()
            + "<img src='data:image/png;base64,AAAA'></body></html>")


def test_pandas_html_tables_are_extracted_with_their_labels():
    tables, images = extract_tables(_crosstab_html(), "nb.html")
    assert images == 1
    crosstab, long = tables
    assert crosstab.header == ("region", "F", "M", "All")
    assert crosstab.rows[0] == ("N", "12", "3", "15")
    assert long.header == ("region", "sex", "n")
    # pandas writes multi-level row labels with rowspan; each row gets its label back
    assert [row[0] for row in long.rows] == ["N", "N", "S", "S"]


def test_rowspan_colspan_and_nested_tables():
    html = ("<table><tr><th>a</th><th colspan=2>b</th></tr>"
            "<tr><td rowspan=2>x</td><td>1</td><td>2</td></tr>"
            "<tr><td>3</td><td><table><tr><th>inner</th></tr><tr><td>9</td></tr></table>"
            "</td></tr></table>")
    tables, _ = extract_tables(html, "t.html")
    inner, outer = tables
    assert inner.header == ("inner",) and inner.rows == (("9",),)
    assert outer.header == ("a", "b", "b (2)")
    assert outer.rows[1][:2] == ("x", "3")


def test_notebook_html_tables_are_each_checked_and_the_notebook_reviewed(write):
    result = check_file(write("analysis.html", _crosstab_html()))
    assert result.kind == "notebook" and len(result.tables) == 2
    assert flagged(result, "min_frequency", table=0) == {("N", "M")}  # All,M is 23
    assert flagged(result, "min_frequency", table=1) == {("N", "n")}
    review = finding(result, "human_review", table=None)
    assert "2 table(s) checked, 1 image(s)" in review.message
    assert result.verdict.value == "fail"


def test_notebook_with_clean_tables_still_needs_review(write):
    html = pd.DataFrame({"n": [20, 30]}, index=["a", "b"]).to_html()
    result = check_file(write("analysis.html", html))
    assert finding(result, "min_frequency").verdict.value == "pass"
    assert result.verdict.value == "review"


def test_ipynb_outputs_are_checked(write):
    notebook = {"cells": [{"cell_type": "code", "source": "df", "outputs": [
        {"output_type": "execute_result",
         "data": {"text/html": [pd.DataFrame({"n": [4, 30]}).to_html()],
                  "text/plain": ["..."]}},
        {"output_type": "display_data", "data": {"image/png": "AAAA"}}]}]}
    result = check_file(write("analysis.ipynb", json.dumps(notebook)))
    assert flagged(result, "min_frequency") == {("0", "n")}
    assert "1 image(s)" in finding(result, "human_review", table=None).message
