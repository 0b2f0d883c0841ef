"""What the online form asks for each kind of letter, checked before a request is filed.

The product's catalogue (``jenis_layanan``) lists the documents each letter needs
(``persyaratan``: "Fotokopi KTP; Fotokopi KK; …") but not the questions its form
asks, so they are written down here, per service code, from what each letter
states: a business letter (SKU) names the business, its kind and address; an
heirs' letter (SKAW) the deceased and the date of death; and so on. Every kind
asks the purpose (``purpose``), which the product keeps in ``permohonan.keperluan``;
the other answers are checked here but the legacy schema has no column for them.

A service code the product lists and this table does not asks the purpose only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Answer(enum.Enum):
    """How an answer must be written."""

    TEXT = "text"
    NUMBER = "number"  # a whole number, digits only
    DATE = "date"  # ISO, YYYY-MM-DD


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    answer: Answer = Answer.TEXT
    required: bool = True


PURPOSE = Question("purpose")  # keperluan
TEXT_LENGTH = 200  # the product's longest text column a form answer could go to

DETAILS: dict[str, tuple[Question, ...]] = {
    # Surat pengantar: to which office the letter introduces the applicant.
    "SP": (PURPOSE, Question("addressed_to", required=False)),
    # Surat keterangan tidak mampu: what the household lives on.
    "SKTM": (
        PURPOSE,
        Question("monthly_income", Answer.NUMBER),
        Question("dependants", Answer.NUMBER),
    ),
    # Surat keterangan domisili: where the applicant actually lives.
    "SKD": (PURPOSE, Question("address")),
    # Surat keterangan usaha: the business.
    "SKU": (
        PURPOSE,
        Question("business_name"),
        Question("business_kind"),
        Question("business_address"),
    ),
    # Surat keterangan belum menikah.
    "SKBM": (PURPOSE,),
    # Surat keterangan ahli waris: the deceased and how many heirs sign.
    "SKAW": (
        PURPOSE,
        Question("deceased_name"),
        Question("date_of_death", Answer.DATE),
        Question("heirs", Answer.NUMBER),
    ),
    # Legalisasi: which document, how many pages.
    "LEG": (PURPOSE, Question("document"), Question("pages", Answer.NUMBER)),
    # Rekomendasi izin usaha mikro kecil.
    "IUMK": (
        PURPOSE,
        Question("business_name"),
        Question("business_kind"),
        Question("business_address"),
        Question("capital", Answer.NUMBER, required=False),
    ),
    # Rekomendasi izin keramaian: the event.
    "IK": (
        PURPOSE,
        Question("event_name"),
        Question("event_date", Answer.DATE),
        Question("event_place"),
        Question("expected_guests", Answer.NUMBER),
    ),
    # Rekomendasi PBG: the building.
    "PBG": (
        PURPOSE,
        Question("building_address"),
        Question("floor_area_m2", Answer.NUMBER),
        Question("building_use"),
    ),
}


def questions(service_code: str) -> tuple[Question, ...]:
    """The questions of ``service_code``'s form (the purpose only for a code not listed)."""
    return DETAILS.get(service_code, (PURPOSE,))
