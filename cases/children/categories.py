"""The categories of DOMAIN.md. Paid categories exclude each other; monitoring ones combine freely."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    ORPHAN_INSTITUTION = "orphan_institution", _("Orphan raised in an institution")
    ORPHAN_SCATTERED = "orphan_scattered", _("Orphan raised in a family")
    DE_FACTO_UNSUPPORTED = "de_facto_unsupported", _("De-facto-unsupported child")
    HIV_AFFECTED = "hiv_affected", _("Child affected by HIV/AIDS")
    KEY_DIFFICULTY = "key_difficulty", _("Key child in difficulty")
    ADOPTED_DISABLED_ORPHAN = "adopted_disabled_orphan", _("Adopted disabled orphan")
    LEFT_BEHIND = "left_behind", _("Rural left-behind child")
    MIGRANT = "migrant", _("Migrant child")
    GUARDIANSHIP_RISK = "guardianship_risk", _("Child with guardianship at risk")
    STREET_MINOR = "street_minor", _("Rescued street minor")


PAID_CATEGORIES: tuple[str, ...] = (
    Category.ORPHAN_INSTITUTION,
    Category.ORPHAN_SCATTERED,
    Category.DE_FACTO_UNSUPPORTED,
    Category.HIV_AFFECTED,
    Category.KEY_DIFFICULTY,
    Category.ADOPTED_DISABLED_ORPHAN,
)


MONITORING_CATEGORIES: tuple[str, ...] = tuple(c for c in Category.values if c not in PAID_CATEGORIES)


# Applications may be received at any township in the country for these, at any township of
# the province for key difficulty (跨省通办 / 全省通办).
NATIONWIDE_FILING = (Category.ORPHAN_INSTITUTION, Category.ORPHAN_SCATTERED, Category.DE_FACTO_UNSUPPORTED)


PROVINCEWIDE_FILING = (Category.KEY_DIFFICULTY, Category.HIV_AFFECTED, Category.ADOPTED_DISABLED_ORPHAN)


def is_paid(category: str) -> bool:
    return category in PAID_CATEGORIES


PAID_CHOICES = [(c, Category(c).label) for c in PAID_CATEGORIES]
