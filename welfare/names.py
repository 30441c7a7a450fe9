"""How a person's name is shown: the one rule for family and given names kept apart (a user's
`last_name` and `first_name`). A Chinese name is family name first with no space (孙丽娟, never
"丽娟 孙"); a name in Latin letters keeps the Western order with a space (Anna Schmidt)."""

import unicodedata


def _is_cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(c) in ("W", "F") for c in text)


def person_full_name(*, family: str, given: str) -> str:
    """The full name to show: 孙 + 丽娟 → 孙丽娟; Schmidt + Anna → Anna Schmidt; either part
    alone when the other is empty."""
    family, given = (family or "").strip(), (given or "").strip()
    if _is_cjk(family + given):
        return f"{family}{given}"
    return f"{given} {family}".strip()
