"""``aws_cost_model``: estimate AWS savings from documented levers.

The levers, their public sources and the conservative rates applied live in
``agents/data/aws_savings_levers.toml``; that file's header explains the arithmetic. In short:

* **Allocation.** With a ``breakdown`` ({service: monthly USD}), each service gets its own figure;
  the rest of ``monthly_spend`` (if any) is split over named services *without* a breakdown entry by
  their typical shares, or left unallocated when every service has one. Without a breakdown, the
  whole spend is split over the named services by typical shares (normalised over the services
  named; unknown services take ``default_share`` and get no lever).
* **Compounding.** A service's levers apply in file order, each to what the previous left, so a
  service never saves more than it costs and the total never exceeds ``monthly_spend``.
* **Money.** Computed in ``Decimal``; each saving is rounded *down* to the cent, so rounding can
  never push the total above the spend. ``annual`` is exactly 12 x ``monthly``.

Service names are matched case-insensitively after trimming and folding "-", "_" and repeated
spaces, against each service's aliases ("EC2", "Amazon EC2", "amazon-ec2" ...).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from netra_backend.app.agents.base import Tool

MAX_MONTHLY_SPEND = 1_000_000_000_000
"""Upper bound on any amount (USD/month); far above any real bill, keeps cent arithmetic exact."""
MAX_SERVICES = 50
CENT = Decimal("0.01")
_SEPARATORS = re.compile(r"[\s_\-]+")


class CostModelInputError(ValueError):
    """An input to :func:`estimate_savings` is unusable; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (type(self), (self.field, self.problem))


@dataclass(frozen=True, slots=True)
class Lever:
    id: str
    service: str
    title: str
    action: str
    rate: Decimal  # addressable_share x realised_discount, in [0, 1)
    confidence: float
    effort: str
    source_url: str
    skip_if_named: frozenset[str]


@dataclass(frozen=True, slots=True)
class Catalog:
    display_names: dict[str, str]
    shares: dict[str, Decimal]
    default_share: Decimal
    aliases: dict[str, str]  # folded alias -> service key
    levers: dict[str, tuple[Lever, ...]]  # service key -> levers in application order


def fold_name(name: str) -> str:
    """Fold a service name for alias lookup: trimmed, lower case, one space between words."""
    return _SEPARATORS.sub(" ", name.strip().lower())


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """Load and check the levers data file (once per process)."""
    text = resources.files("netra_backend.app.agents").joinpath("data/aws_savings_levers.toml")
    data = tomllib.loads(text.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    shares: dict[str, Decimal] = {}
    aliases: dict[str, str] = {}
    for key, svc in data["services"].items():
        names[key] = svc["display_name"]
        shares[key] = Decimal(str(svc["typical_share"]))
        for alias in [key, svc["display_name"], *svc["aliases"]]:
            aliases[fold_name(alias)] = key
    levers: dict[str, list[Lever]] = {key: [] for key in names}
    for raw in data["levers"]:
        rate = Decimal(str(raw["addressable_share"])) * Decimal(str(raw["realised_discount"]))
        if not Decimal(0) <= rate < Decimal(1) or raw["service"] not in names:
            raise ValueError(f"lever {raw['id']!r}: rate must be in [0, 1) on a known service")
        levers[raw["service"]].append(
            Lever(
                id=raw["id"],
                service=raw["service"],
                title=raw["title"],
                action=raw["action"],
                rate=rate,
                confidence=float(raw["confidence"]),
                effort=raw["effort"],
                source_url=raw["source_url"],
                skip_if_named=frozenset(raw.get("skip_if_named", ())),
            )
        )
    return Catalog(
        display_names=names,
        shares=shares,
        default_share=Decimal(str(data["default_share"])),
        aliases=aliases,
        levers={key: tuple(value) for key, value in levers.items()},
    )


def check_amount(field: str, value: object, what: str = "") -> Decimal:
    """Return ``value`` as a Decimal if it is a finite, non-negative, non-bool number."""
    prefix = f"{what} " if what else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CostModelInputError(field, f"{prefix}must be a number, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise CostModelInputError(field, f"{prefix}must be a finite number, got {value}")
    if value < 0:
        raise CostModelInputError(field, f"{prefix}must be >= 0, got {value}")
    if value > MAX_MONTHLY_SPEND:
        raise CostModelInputError(field, f"{prefix}must be at most {MAX_MONTHLY_SPEND:,} USD")
    return Decimal(str(value))


def check_services(value: object) -> list[str]:
    """Return ``value`` if it is a non-empty list of non-empty strings."""
    if not isinstance(value, list | tuple):
        raise CostModelInputError(
            "primary_services",
            f"must be a list of AWS service names, got {type(value).__name__}",
        )
    if not value:
        raise CostModelInputError("primary_services", "must name at least one AWS service")
    if len(value) > MAX_SERVICES:
        raise CostModelInputError("primary_services", f"must name at most {MAX_SERVICES} services")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise CostModelInputError(
                "primary_services",
                f"item {index} must be a non-empty string, got {item!r}",
            )
    return list(value)


def check_breakdown(value: object, monthly_spend: Decimal) -> dict[str, Decimal]:
    """Return the breakdown as {name: Decimal}; its sum may not exceed ``monthly_spend``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise CostModelInputError(
            "breakdown",
            f"must be an object of service name -> monthly USD, got {type(value).__name__}",
        )
    if len(value) > MAX_SERVICES:
        raise CostModelInputError("breakdown", f"must list at most {MAX_SERVICES} services")
    amounts: dict[str, Decimal] = {}
    for name, amount in value.items():
        if not isinstance(name, str) or not name.strip():
            raise CostModelInputError(
                "breakdown", f"keys must be non-empty service names, got {name!r}"
            )
        amounts[name] = check_amount("breakdown", amount, f"the amount for {name!r}")
    total = sum(amounts.values(), Decimal(0))
    # Half a cent of slack absorbs float noise such as 0.1 + 0.2 > 0.3.
    if total > monthly_spend + CENT / 2:
        raise CostModelInputError(
            "breakdown",
            f"adds up to {usd(total)}, more than monthly_spend ({usd(monthly_spend)})",
        )
    return amounts


def usd(amount: Decimal | float) -> str:
    """Format ``amount`` as dollars with thousands separators: ``$12,345.67``."""
    return f"${Decimal(str(amount)).quantize(CENT, ROUND_HALF_UP):,}"


def _identity(catalog: Catalog, name: str) -> str:
    """The service key for a known name, else ``?<folded name>``: names with one identity merge."""
    return catalog.aliases.get(fold_name(name)) or "?" + fold_name(name)


def _allocate(
    catalog: Catalog,
    idents: dict[str, str],
    breakdown: dict[str, Decimal],
    spend: Decimal,
) -> tuple[dict[str, Decimal], dict[str, str], Decimal]:
    """Split ``spend`` over identities: returns (amount, basis) per identity and the unallocated."""
    amounts: dict[str, Decimal] = {}
    basis: dict[str, str] = {}
    for name, amount in breakdown.items():
        ident = _identity(catalog, name)
        amounts[ident] = amounts.get(ident, Decimal(0)) + amount
        basis[ident] = "breakdown"
    rest = spend - sum(amounts.values(), Decimal(0))
    unbroken = [i for i in idents if i not in amounts]
    if rest > 0 and unbroken:
        weights = {i: catalog.shares.get(i, catalog.default_share) for i in unbroken}
        total_weight = sum(weights.values(), Decimal(0))
        for ident in unbroken:
            amounts[ident] = (rest * weights[ident] / total_weight).quantize(CENT, ROUND_DOWN)
            basis[ident] = "typical_share"
        # Cents lost to rounding down go to the first service, so the split adds up exactly.
        amounts[unbroken[0]] += rest.quantize(CENT, ROUND_DOWN) - sum(
            (amounts[i] for i in unbroken), Decimal(0)
        )
    else:
        for ident in unbroken:
            amounts[ident], basis[ident] = Decimal(0), "none_left"
    unallocated = max(spend - sum(amounts.values(), Decimal(0)), Decimal(0))
    return amounts, basis, unallocated


def estimate_savings(
    monthly_spend: float,
    primary_services: list[str],
    breakdown: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Estimate monthly AWS savings for ``monthly_spend`` USD over ``primary_services``.

    Raises :class:`CostModelInputError` (a ``ValueError``) naming the bad argument.
    Returns a JSON-able dict: ``recommendations`` (sorted by savings, descending),
    ``total_monthly_savings``, ``annual_savings``, ``percent_of_spend``, ``allocation``,
    ``unsupported_services``, ``unallocated_spend`` and ``assumptions``.
    """
    catalog = load_catalog()
    spend = check_amount("monthly_spend", monthly_spend)
    services = check_services(primary_services)
    amounts_in = check_breakdown(breakdown, spend)
    given = sum(amounts_in.values(), Decimal(0))
    if given > spend:  # within the half-cent slack: scale down so the total stays <= spend
        amounts_in = {
            k: (v * spend / given).quantize(CENT, ROUND_DOWN) for k, v in amounts_in.items()
        }
    idents: dict[str, str] = {}  # identity -> the first name the user gave for it
    for name in [*services, *amounts_in]:
        idents.setdefault(_identity(catalog, name), name.strip())
    amounts, basis, unallocated = _allocate(catalog, idents, amounts_in, spend)

    recommendations: list[dict[str, Any]] = []
    for ident in idents:
        remaining = amounts[ident]
        for lever in catalog.levers.get(ident, ()):
            if lever.skip_if_named & idents.keys():
                continue
            saving = remaining * lever.rate
            remaining -= saving
            cents = saving.quantize(CENT, ROUND_DOWN)
            if cents > 0:
                recommendations.append(_recommendation(catalog, lever, cents))
    recommendations.sort(key=lambda r: (-r["estimated_monthly_savings"], r["id"]))

    monthly = sum(
        (Decimal(str(r["estimated_monthly_savings"])) for r in recommendations),
        Decimal(0),
    )
    percent = (monthly * 100 / spend).quantize(CENT, ROUND_HALF_UP) if spend else Decimal(0)
    unsupported = [name for ident, name in idents.items() if ident.startswith("?")]
    shown = {i: catalog.display_names.get(i, name) for i, name in idents.items()}
    return {
        "monthly_spend": float(spend.quantize(CENT, ROUND_HALF_UP)),
        "recommendations": recommendations,
        "total_monthly_savings": float(monthly),
        "annual_savings": float(monthly * 12),
        "percent_of_spend": float(percent),
        "allocation": [
            {"service": shown[i], "monthly_spend": float(amounts[i]), "basis": basis[i]}
            for i in idents
        ],
        "unsupported_services": unsupported,
        "unallocated_spend": float(unallocated.quantize(CENT, ROUND_DOWN)),
        "assumptions": _assumptions(
            [shown[i] for i in idents if basis[i] == "typical_share"],
            unsupported,
            unallocated,
        ),
    }


def _recommendation(catalog: Catalog, lever: Lever, cents: Decimal) -> dict[str, Any]:
    return {
        "id": lever.id,
        "service": catalog.display_names[lever.service],
        "title": lever.title,
        "action": lever.action,
        "estimated_monthly_savings": float(cents),
        "confidence": lever.confidence,
        "effort": lever.effort,
        "source": lever.source_url,
    }


def _assumptions(shared: list[str], unsupported: list[str], unallocated: Decimal) -> list[str]:
    notes = [
        "Savings on one service compound: each lever applies to the spend the previous ones left.",
        "Assumes none of these levers is in place yet; leave out any you already use.",
        (
            "Rates are conservative realised figures (e.g. 1-year no-upfront commitments on "
            "steady usage), not the 'up to' maximums AWS quotes; see each recommendation's source."
        ),
    ]
    if shared:
        notes.append(
            "Spend was split over " + ", ".join(shared) + " by typical shares of an AWS bill; "
            "give context.breakdown for exact figures."
        )
    if unsupported:
        notes.append("No savings lever is modelled for: " + ", ".join(unsupported) + ".")
    if unallocated > 0:
        notes.append(f"{usd(unallocated)} of the spend is not attributed to a named service.")
    return notes


AWS_COST_MODEL = Tool(
    name="aws_cost_model",
    description=(
        "Estimate monthly AWS savings from documented levers (Savings Plans, reserved instances, "
        "rightsizing, Graviton, gp3, S3 Intelligent-Tiering and lifecycle, idle resources, NAT) "
        "given monthly_spend, primary_services and an optional breakdown."
    ),
    func=estimate_savings,
    parameters={
        "type": "object",
        "properties": {
            "monthly_spend": {
                "type": "number",
                "minimum": 0,
                "description": "Total monthly AWS spend in USD.",
            },
            "primary_services": {
                "type": "array",
                "items": {"type": "string"},
                "description": "AWS services the spend goes to, e.g. ['EC2', 'S3', 'RDS'].",
            },
            "breakdown": {
                "type": "object",
                "additionalProperties": {"type": "number", "minimum": 0},
                "description": "Optional monthly USD per service; the rest is split by typical "
                "shares.",
            },
        },
        "required": ["monthly_spend", "primary_services"],
        "additionalProperties": False,
    },
)
