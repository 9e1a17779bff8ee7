"""Reviewed sentences several rules share (`shared.valproate`), written out here once, independently of
`cards/knowledge/wording/`, for the tests of every rule that says them."""

from __future__ import annotations

VALPROATE_RISKS = (
    "Valproate taken in pregnancy causes major malformations in about 11% and developmental disorders in 30-40% of "
    "exposed children.",
    "Do not start valproate in anyone under 55 unless two specialists independently document that no other treatment "
    "is effective or tolerated (MHRA, January 2024).",
    "Where it continues: Pregnancy Prevention Programme - highly effective contraception, pregnancy testing and an "
    "annual risk acknowledgement; check liver function before and during the first 6 months.",
)
VALPROATE_EVIDENCE = ("NICE NG217 (amended January 2025) and NICE CG137 figures; MHRA 2024 restriction; valproate boxed "
                      "warnings for fetal risk and hepatotoxicity.")
