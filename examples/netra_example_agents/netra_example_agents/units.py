"""``unit_convert``: a tool a model may call, converting lengths, masses and temperatures.

A bad input raises ``ValueError`` with a sentence saying what was wrong: an agent that calls
the tool for a model hands that sentence back to the model, which can then correct itself.
"""

from __future__ import annotations

import math

from netra_backend.app.agents import JSONDict, Tool

# Each unit's size in the quantity's base unit (metre, kilogram).
LENGTH = {
    "mm": 0.001,
    "cm": 0.01,
    "m": 1.0,
    "km": 1000.0,
    "in": 0.0254,
    "ft": 0.3048,
    "yd": 0.9144,
    "mi": 1609.344,
}
MASS = {"mg": 1e-6, "g": 0.001, "kg": 1.0, "t": 1000.0, "oz": 0.028349523125, "lb": 0.45359237}
# Temperatures are not proportional: (offset, scale) to and from kelvin, K = (x + offset) * scale.
TEMPERATURE = {"celsius": (273.15, 1.0), "fahrenheit": (459.67, 5 / 9), "kelvin": (0.0, 1.0)}
QUANTITIES = {
    **dict.fromkeys(LENGTH, "length"),
    **dict.fromkeys(MASS, "mass"),
    **dict.fromkeys(TEMPERATURE, "temperature"),
}
UNITS = sorted(QUANTITIES)


def convert(value: float, from_unit: str, to_unit: str) -> JSONDict:
    """``value`` in ``from_unit`` expressed in ``to_unit``, to 12 significant digits."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"value must be a finite number, got {value!r}")
    for unit in (from_unit, to_unit):
        if unit not in QUANTITIES:
            raise ValueError(f"unknown unit {unit!r}; known units: {', '.join(UNITS)}")
    quantity = QUANTITIES[from_unit]
    if QUANTITIES[to_unit] != quantity:
        raise ValueError(
            f"cannot convert {quantity} ({from_unit}) to {QUANTITIES[to_unit]} ({to_unit})"
        )
    if quantity == "temperature":
        offset, scale = TEMPERATURE[from_unit]
        kelvin = (value + offset) * scale
        if kelvin < 0:
            raise ValueError(f"{value} {from_unit} is below absolute zero")
        offset, scale = TEMPERATURE[to_unit]
        result = kelvin / scale - offset
    else:
        sizes = LENGTH if quantity == "length" else MASS
        result = value * sizes[from_unit] / sizes[to_unit]
    return {"value": float(f"{result:.12g}"), "unit": to_unit, "quantity": quantity}


UNIT_CONVERT = Tool(
    name="unit_convert",
    description=(
        "Converts a value between units of length (mm, cm, m, km, in, ft, yd, mi), mass "
        "(mg, g, kg, t, oz, lb) or temperature (celsius, fahrenheit, kelvin)."
    ),
    func=convert,
    parameters={
        "type": "object",
        "properties": {
            "value": {"type": "number", "description": "The amount to convert."},
            "from_unit": {"type": "string", "enum": UNITS},
            "to_unit": {"type": "string", "enum": UNITS},
        },
        "required": ["value", "from_unit", "to_unit"],
        "additionalProperties": False,
    },
)
