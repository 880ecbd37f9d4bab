"""Unit tests of the aws_cost_model tool: the levers data, allocation, compounding and money."""

from __future__ import annotations

import math
import tomllib
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netra_backend.app.agents.tools.aws_cost_model import (
    AWS_COST_MODEL,
    CostModelInputError,
    estimate_savings,
    load_catalog,
)

pytestmark = pytest.mark.unit

KNOWN = [
    "EC2",
    "Amazon RDS",
    "s3",
    "EBS",
    "AWS Lambda",
    "Fargate",
    "DynamoDB",
    "NAT Gateway",
]
UNKNOWN = ["Route 53", "CloudFront", "Amazon Redshift"]


def _raw_levers() -> dict[str, Any]:
    text = resources.files("netra_backend.app.agents").joinpath("data/aws_savings_levers.toml")
    return tomllib.loads(text.read_text(encoding="utf-8"))


def _ids(result: dict[str, Any]) -> list[str]:
    return [r["id"] for r in result["recommendations"]]


def test_golden_example_gives_recommendations_and_positive_savings() -> None:
    result = estimate_savings(10000, ["EC2", "RDS", "S3"])
    assert result["recommendations"]
    assert 0 < result["total_monthly_savings"] <= 10000
    assert {r["service"] for r in result["recommendations"]} == {
        "Amazon EC2",
        "Amazon RDS",
        "Amazon S3",
    }
    assert result["unsupported_services"] == []
    assert sum(a["monthly_spend"] for a in result["allocation"]) == pytest.approx(10000)


def test_levers_data_cites_a_source_and_a_conservative_rate_for_every_lever() -> None:
    data = _raw_levers()
    assert len(data["levers"]) >= 15
    for lever in data["levers"]:
        assert lever["source_url"].startswith("https://"), lever["id"]
        assert len(lever["source_quote"]) > 20, lever["id"]
        assert lever["note"], lever["id"]
        assert 0 < lever["addressable_share"] <= 1 and 0 < lever["realised_discount"] <= 1
        assert lever["addressable_share"] * lever["realised_discount"] < 1
        assert lever["effort"] in {"low", "medium", "high"}
        assert 0 < lever["confidence"] <= 1
    assert len({lever["id"] for lever in data["levers"]}) == len(data["levers"])
    assert all(load_catalog().levers[key] for key in data["services"])


def test_levers_cover_the_documented_families() -> None:
    ids = {lever["id"] for lever in _raw_levers()["levers"]}
    for expected in (
        "ec2-compute-savings-plan",
        "rds-reserved-instances",
        "ec2-rightsizing",
        "ec2-graviton",
        "ebs-gp3",
        "s3-intelligent-tiering",
        "s3-lifecycle-cleanup",
        "ec2-idle-instances",
        "nat-gateway-endpoints",
    ):
        assert expected in ids


def test_service_names_match_case_insensitively_with_aliases() -> None:
    reference = estimate_savings(5000, ["EC2"])
    for name in (
        "ec2",
        "Amazon EC2",
        "  amazon-ec2 ",
        "AMAZON ELASTIC COMPUTE CLOUD",
        "aws_ec2",
    ):
        assert estimate_savings(5000, [name])["recommendations"] == reference["recommendations"]


def test_two_names_for_one_service_merge() -> None:
    assert estimate_savings(5000, ["EC2", "Amazon EC2"]) == estimate_savings(5000, ["EC2"])


def test_unknown_services_are_listed_and_get_no_lever() -> None:
    result = estimate_savings(5000, ["EC2", "Route 53", "route-53"])
    assert result["unsupported_services"] == ["Route 53"]
    assert all(r["service"] == "Amazon EC2" for r in result["recommendations"])
    assert any("Route 53" in note for note in result["assumptions"])
    # Route 53 takes part of the spend, so EC2 alone saves more on the same bill.
    assert (
        result["total_monthly_savings"] < estimate_savings(5000, ["EC2"])["total_monthly_savings"]
    )


def test_levers_on_one_service_compound_instead_of_adding() -> None:
    result = estimate_savings(1000, ["EC2"], {"EC2": 1000})
    rates = [lever.rate for lever in load_catalog().levers["ec2"]]
    compounded = Decimal(1000) * (1 - math.prod((1 - r for r in rates), start=Decimal(1)))
    added = Decimal(1000) * sum(rates, Decimal(0))
    total = Decimal(str(result["total_monthly_savings"]))
    assert compounded - Decimal("0.01") * len(rates) <= total <= compounded
    assert total < added


def test_breakdown_amounts_are_used_and_the_rest_is_split_over_other_services() -> None:
    result = estimate_savings(10000, ["EC2", "S3"], {"ec2": 4000})
    allocation = {a["service"]: (a["monthly_spend"], a["basis"]) for a in result["allocation"]}
    assert allocation == {
        "Amazon EC2": (4000.0, "breakdown"),
        "Amazon S3": (6000.0, "typical_share"),
    }


def test_breakdown_below_spend_leaves_the_rest_unallocated() -> None:
    result = estimate_savings(10000, ["EC2"], {"EC2": 2500, "Route 53": 500})
    assert result["unallocated_spend"] == 7000.0
    assert result["unsupported_services"] == ["Route 53"]
    assert any("$7,000.00" in note for note in result["assumptions"])


def test_itemised_ebs_and_nat_are_not_saved_twice_under_ec2() -> None:
    alone = _ids(estimate_savings(10000, ["EC2"]))
    assert "ec2-ebs-gp3" in alone and "ec2-nat-gateway-endpoints" in alone
    itemised = _ids(estimate_savings(10000, ["EC2", "EBS", "NAT gateway"]))
    assert "ec2-ebs-gp3" not in itemised and "ec2-nat-gateway-endpoints" not in itemised
    assert "ebs-gp3" in itemised and "nat-gateway-endpoints" in itemised


def test_zero_spend_gives_no_recommendations() -> None:
    result = estimate_savings(0, ["EC2", "RDS"])
    assert result["recommendations"] == []
    assert (result["total_monthly_savings"], result["percent_of_spend"]) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"monthly_spend": True, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": "100", "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": -1, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": math.nan, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": math.inf, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": 1e13, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": 100, "primary_services": "EC2"}, "primary_services"),
        ({"monthly_spend": 100, "primary_services": []}, "primary_services"),
        ({"monthly_spend": 100, "primary_services": ["EC2", 3]}, "primary_services"),
        ({"monthly_spend": 100, "primary_services": [" "]}, "primary_services"),
        (
            {"monthly_spend": 100, "primary_services": ["EC2"], "breakdown": [1]},
            "breakdown",
        ),
        (
            {
                "monthly_spend": 100,
                "primary_services": ["EC2"],
                "breakdown": {"EC2": -1},
            },
            "breakdown",
        ),
        (
            {
                "monthly_spend": 100,
                "primary_services": ["EC2"],
                "breakdown": {"EC2": 101},
            },
            "breakdown",
        ),
        (
            {"monthly_spend": 100, "primary_services": ["EC2"], "breakdown": {"": 1}},
            "breakdown",
        ),
    ],
)
def test_bad_inputs_raise_naming_the_argument(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(CostModelInputError) as caught:
        estimate_savings(**kwargs)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_breakdown_float_noise_within_half_a_cent_is_accepted_and_capped() -> None:
    result = estimate_savings(0.3, ["EC2", "RDS"], {"EC2": 0.1, "RDS": 0.2000001})
    assert result["total_monthly_savings"] <= 0.3


async def test_tool_wrapper_invokes_the_model_with_keyword_arguments() -> None:
    arguments: dict[str, Any] = {
        "monthly_spend": 10000,
        "primary_services": ["EC2", "RDS", "S3"],
    }
    assert AWS_COST_MODEL.name == "aws_cost_model"
    assert await AWS_COST_MODEL.invoke(arguments) == estimate_savings(**arguments)


_money = st.one_of(
    st.integers(min_value=0, max_value=10**9),
    st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
)


@st.composite
def _inputs(draw: st.DrawFn) -> tuple[float, list[str], dict[str, float] | None]:
    spend = draw(_money)
    services = draw(st.lists(st.sampled_from(KNOWN + UNKNOWN), min_size=1, max_size=6))
    if not draw(st.booleans()):
        return spend, services, None
    names = draw(st.lists(st.sampled_from(KNOWN + UNKNOWN), max_size=4, unique=True))
    fractions = [draw(st.floats(min_value=0, max_value=1)) for _ in names]
    scale = max(sum(fractions), 1.0)
    return (
        spend,
        services,
        {n: spend * f / scale * 0.999 for n, f in zip(names, fractions, strict=True)},
    )


@settings(max_examples=300, deadline=None)
@given(_inputs())
def test_savings_properties_hold_for_any_bill(
    case: tuple[float, list[str], dict[str, float] | None],
) -> None:
    spend, services, breakdown = case
    result = estimate_savings(spend, services, breakdown)
    recs = result["recommendations"]
    monthly = Decimal(str(result["total_monthly_savings"]))
    assert Decimal(0) <= monthly <= Decimal(str(spend))
    assert all(r["estimated_monthly_savings"] > 0 for r in recs)
    assert all(Decimal(str(r["estimated_monthly_savings"])) * 100 % 1 == 0 for r in recs)
    savings = [r["estimated_monthly_savings"] for r in recs]
    assert savings == sorted(savings, reverse=True)
    assert sum(Decimal(str(s)) for s in savings) == monthly
    assert Decimal(str(result["annual_savings"])) == monthly * 12
    if spend > 0:
        assert result["percent_of_spend"] == pytest.approx(float(monthly) / spend * 100, abs=0.006)
        assert 0 <= result["percent_of_spend"] <= 100
    else:
        assert result["percent_of_spend"] == 0
