"""The declared kind steers the checks; without one the guess is made and said to be a guess."""

from __future__ import annotations

from .sdc_helpers import finding


def test_undeclared_whole_numbers_are_guessed_frequency(check):
    result = check("group,n\na,12\nb,3\n")
    info = result.tables[0]
    assert (result.kind, result.kind_guessed) == ("frequency", True)
    assert (info.kind, info.kind_guessed) == ("frequency", True)
    assert info.kind_reason == "all values are whole numbers of zero or more"


def test_undeclared_fractions_are_guessed_magnitude(check):
    result = check("group,mean_age\na,41.5\nb,38.2\n")
    assert (result.kind, result.tables[0].kind_guessed) == ("magnitude", True)
    assert finding(result, "dominance_nk").verdict.value == "review"


def test_magnitude_names_make_whole_numbers_magnitudes(check):
    result = check("group,total_cost\na,1200\nb,3\n")
    assert result.kind == "magnitude"


def test_declared_kind_wins_over_the_guess(check):
    result = check("group,n\na,12\nb,3\n", kind="magnitude")
    assert (result.kind, result.kind_guessed) == ("magnitude", False)
    assert result.tables[0].kind_reason == "declared by the author"
    assert not [f for f in result.findings if f.rule == "min_frequency"]


def test_declared_frequency_on_fractions_asks_for_review(check):
    result = check("group,n\na,12.5\nb,30\n", kind="frequency")
    assert finding(result, "values").verdict.value == "review"


def test_coefficient_tables_are_guessed_models(check):
    result = check("term,coef,std err\nage,0.5,0.1\nsex,1.2,0.3\n")
    assert result.kind == "model"
    assert finding(result, "residual_dof").verdict.value == "review"


# The three CSVs ACRO 1.0.2 writes for one acro.ols (output_N_0..2.csv), as it wrote them.
ACRO_OLS_HEADER = ('Dep. Variable:,y,R-squared:,0.674\nModel:,OLS,Adj. R-squared:,0.638\n'
                   'Method:,Least Squares,F-statistic:,18.63\n'
                   'Date:,"Wed, 02 Dec 2026",Prob (F-statistic):,0.00194\n'
                   'Time:,04:20:52,Log-Likelihood:,-13.769\nNo. Observations:,11,AIC:,31.54\n'
                   'Df Residuals:,9,BIC:,32.33\nDf Model:,1,,\nCovariance Type:,nonrobust,,\n')
ACRO_OLS_COEFFICIENTS = (',coef,std err,t,P>|t|,[0.025,0.975]\n'
                         'const,-0.6411,0.288,-2.222,0.053,-1.294,0.012\n'
                         'x,1.8823,0.436,4.317,0.002,0.896,2.869\n')
ACRO_OLS_TESTS = ('Omnibus:,2.318,Durbin-Watson:,1.672\nProb(Omnibus):,0.314,Jarque-Bera (JB):,0.912\n'
                  'Skew:,-0.078,Prob(JB):,0.634\nKurtosis:,1.598,Cond. No.,1.6\n')


def test_an_acro_regression_csv_without_a_kind_is_a_model_and_its_dof_rule_runs(check):
    summary = check(ACRO_OLS_HEADER, name="output_2_0.csv")
    assert summary.kind == "model" and summary.tables[0].kind == "model"
    dof = [f for f in summary.findings if f.rule == "residual_dof"]
    assert [(f.verdict.value, f.parameters) for f in dof] == [("fail", {"min_residual_dof": 10})]
    assert "residual degrees of freedom 9 below 10" in dof[0].message
    for text in (ACRO_OLS_COEFFICIENTS, ACRO_OLS_TESTS):
        other = check(text, name="output_2_1.csv")
        assert other.tables[0].kind == "model", text
        assert not [f for f in other.findings if f.rule.startswith("dominance")]
