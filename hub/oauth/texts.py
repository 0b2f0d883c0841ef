"""What the citizen reads on the hub's sign-in and consent pages: Bahasa Indonesia first,
English second, and each scope in a citizen's words."""

from __future__ import annotations

from datetime import date
from typing import Final, Literal

Lang = Literal["id", "en"]
LANGS: Final[tuple[Lang, ...]] = ("id", "en")

#: Each scope as a citizen would say it: (Bahasa Indonesia, English).
SCOPE_WORDS: Final[dict[str, tuple[str, str]]] = {
    "siak:profile": (
        "Data diri: nama, tempat dan tanggal lahir, jenis kelamin, pekerjaan, alamat (SIAK)",
        "Who you are: name, place and date of birth, sex, occupation, address (SIAK)",
    ),
    "siak:sensitive": (
        "Agama dan status perkawinan (SIAK)",
        "Religion and marital status (SIAK)",
    ),
    "siak:family": (
        "Kartu Keluarga: siapa saja anggota keluarga Anda (SIAK)",
        "Your family card: who is in your family (SIAK)",
    ),
    "psb:read": ("Data sekolah anak (PSB)", "Your children's school admissions (PSB)"),
    "cpns:read": ("Lamaran CPNS Anda", "Your civil-service (CPNS) applications"),
    "sikda:read": (
        "Data kepegawaian Anda sebagai ASN (SIKDa)",
        "Your record as a civil servant (SIKDa)",
    ),
    "sipbd:read": (
        "Barang milik daerah yang Anda pegang (SIPBD)",
        "City assets in your keeping (SIPBD)",
    ),
    "lpse:read": (
        "Peran Anda di perusahaan penyedia pengadaan (LPSE)",
        "Your roles in procurement vendors (LPSE)",
    ),
    "apk:read": (
        "Permohonan layanan kecamatan Anda (APK)",
        "Your requests to the district offices (APK)",
    ),
    "apk:write": (
        "Mengajukan permohonan layanan kecamatan atas nama Anda (APK)",
        "Filing district-office requests for you (APK)",
    ),
    "antrian:read": (
        "Nomor antrean layanan Anda (Antrian)",
        "Your queue tickets at the service centres (Antrian)",
    ),
    "antrian:write": (
        "Mengambil dan membatalkan nomor antrean atas nama Anda (Antrian)",
        "Booking and cancelling queue tickets for you (Antrian)",
    ),
    "identity:resolve": (
        "Mencocokkan nomor-nomor Anda di berbagai layanan kota",
        "Matching your numbers across the city's services",
    ),
    "identity:steward": (
        "Memeriksa dan memutuskan kecocokan data kependudukan yang diragukan",
        "Reviewing and deciding doubtful identity links (the city's data steward)",
    ),
    "audit:read": (
        "Catatan siapa saja yang telah melihat data Anda",
        "The record of who has seen your data",
    ),
}

_MONTHS_ID: Final = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

TEXTS: Final[dict[str, tuple[str, str]]] = {
    "brand": ("Citizen Hub · Kota Tangerang", "Citizen Hub · Kota Tangerang"),
    "switch": ("English", "Bahasa Indonesia"),
    # the development sign-in
    "sign_in.title": ("Masuk dengan akun kota", "Sign in with your city account"),
    "sign_in.app": ("{app} meminta Anda masuk.", "{app} asks you to sign in."),
    "sign_in.dev": (
        "Mode pengembangan: kode sekali pakai dicetak di log hub, tidak dikirim lewat SMS.",
        "Development mode: the one-time code is printed in the hub's log, not sent by SMS.",
    ),
    "sign_in.nik": ("NIK (16 angka di KTP Anda)", "NIK (the 16 digits on your ID card)"),
    "sign_in.birth": ("Tanggal lahir", "Date of birth"),
    "sign_in.birth_hint": ("contoh 31-12-1990", "e.g. 31-12-1990"),
    "sign_in.send": ("Kirim kode", "Send the code"),
    "sign_in.sso": ("Masuk lewat SSO kota", "Sign in with the city SSO"),
    "code.title": ("Masukkan kode", "Enter the code"),
    "code.sent": (
        "Kami mengirim kode 6 angka lewat SMS ke nomor HP yang terdaftar untuk NIK Anda."
        " Kode berlaku {minutes} menit.",
        "We sent a 6-digit code by SMS to the phone registered for your NIK."
        " It is valid for {minutes} minutes.",
    ),
    "code.label": ("Kode sekali pakai", "One-time code"),
    "code.submit": ("Masuk", "Sign in"),
    "code.restart": ("Minta kode baru", "Get a new code"),
    # what went wrong while signing in
    "error.nik_format": (
        "NIK terdiri dari 16 angka. Periksa lagi angka di KTP Anda.",
        "An NIK has 16 digits. Check the digits on your ID card.",
    ),
    "error.nik_invalid": (
        "Nomor itu bukan NIK yang sah. Periksa lagi angka di KTP Anda.",
        "That number is not a valid NIK. Check the digits on your ID card.",
    ),
    "error.birth_format": (
        "Tanggal lahir tidak terbaca. Tulis seperti 31-12-1990.",
        "The date of birth cannot be read. Write it like 31-12-1990.",
    ),
    "error.mismatch": (
        "NIK dan tanggal lahir itu tidak cocok dengan data kependudukan (SIAK). Periksa"
        " keduanya; bila data Anda berubah, hubungi Disdukcapil.",
        "That NIK and date of birth do not match the population register (SIAK). Check"
        " both; if your data changed, contact Disdukcapil.",
    ),
    "error.too_many_nik": (
        "Terlalu banyak percobaan masuk untuk NIK ini. Coba lagi dalam {minutes} menit.",
        "Too many sign-in attempts for this NIK. Try again in {minutes} minutes.",
    ),
    "error.too_many_ip": (
        "Terlalu banyak percobaan masuk dari jaringan Anda. Coba lagi dalam {minutes} menit.",
        "Too many sign-in attempts from your network. Try again in {minutes} minutes.",
    ),
    "error.too_many_codes": (
        "Sudah terlalu banyak kode dikirim untuk NIK ini. Coba lagi dalam {minutes} menit.",
        "Too many codes were sent for this NIK. Try again in {minutes} minutes.",
    ),
    "error.wrong_code": (
        "Kode salah. Sisa {left} kali percobaan.",
        "Wrong code. {left} attempts left.",
    ),
    "error.code_dead": (
        "Kode ini sudah tidak berlaku: kedaluwarsa, sudah dipakai, atau terlalu sering"
        " salah. Minta kode baru.",
        "This code no longer works: it expired, was used, or was wrong too often. Get a new one.",
    ),
    "error.siak_down": (
        "Data kependudukan (SIAK) sedang tidak dapat diperiksa. Coba lagi sebentar lagi.",
        "The population register (SIAK) cannot be checked right now. Try again shortly.",
    ),
    "error.csrf": (
        "Formulir ini sudah kedaluwarsa atau tidak berasal dari halaman ini. Muat ulang"
        " halaman dan coba lagi.",
        "This form expired or did not come from this page. Reload the page and try again.",
    ),
    "error.not_registered": (
        "NIK Anda tidak ditemukan di data kependudukan Kota Tangerang (SIAK).",
        "Your NIK is not in Kota Tangerang's population register (SIAK).",
    ),
    "error.no_sign_in": (
        "Masuk dengan akun kota belum disiapkan di hub ini.",
        "Signing in with a city account is not set up on this hub.",
    ),
    # the city's OpenID provider
    "sso.down": (
        "Layanan masuk kota (SSO) sedang tidak dapat dihubungi. Coba lagi sebentar lagi.",
        "The city sign-in service (SSO) cannot be reached right now. Try again shortly.",
    ),
    "sso.bad": (
        "Jawaban layanan masuk kota tidak dapat diverifikasi, jadi Anda belum masuk. Coba"
        " lagi; bila terulang, hubungi layanan kota.",
        "The city sign-in service's answer could not be verified, so you are not signed in."
        " Try again; if it happens again, contact the city's service desk.",
    ),
    "sso.denied": (
        "Masuk dibatalkan di layanan masuk kota.",
        "Signing in was cancelled at the city sign-in service.",
    ),
    "sso.state": (
        "Permintaan masuk ini tidak dikenali atau sudah dipakai. Mulai lagi dari aplikasi.",
        "This sign-in request is unknown or was already used. Start again from the app.",
    ),
    "sso.no_nik": (
        "Akun kota Anda belum terhubung dengan NIK, jadi data Anda tidak dapat ditemukan.",
        "Your city account is not linked to an NIK, so your data cannot be found.",
    ),
    # the consent page
    "consent.title": ("Izinkan akses data?", "Allow access to your data?"),
    "consent.heading": (
        "{app} meminta izin mengakses data Anda",
        "{app} asks to access your data",
    ),
    "consent.signed_in": ("Anda masuk sebagai {name}.", "You are signed in as {name}."),
    "consent.purpose": ("Untuk keperluan", "For the purpose"),
    "consent.data": (
        "Data yang diminta. Hapus centang pada data yang tidak Anda izinkan:",
        "The data asked for. Untick what you do not allow:",
    ),
    "consent.before": ("sudah Anda izinkan sebelumnya", "you allowed this before"),
    "consent.duration": (
        "Izin berlaku {days} hari, sampai {until}, kecuali Anda mencabutnya lebih awal: di"
        " aplikasi ini, atau di halaman Izin aplikasi Citizen Hub.",
        "This permission lasts {days} days, until {until}, unless you withdraw it sooner:"
        " in this app, or on Citizen Hub's App permissions page.",
    ),
    "consent.only": (
        "{app} hanya akan melihat data yang Anda izinkan, dan setiap kali data Anda dilihat"
        " tercatat di catatan akses Anda.",
        "{app} will only see what you allow, and every time your data is seen it is written"
        " in your access record.",
    ),
    "consent.allow": ("Izinkan", "Allow"),
    "consent.deny": ("Tolak", "Deny"),
    "consent.pick_one": (
        "Pilih setidaknya satu data, atau tekan Tolak.",
        "Choose at least one item, or press Deny.",
    ),
    # a request the hub cannot send back to the app
    "request.title": (
        "Permintaan masuk tidak dapat diproses",
        "This sign-in request cannot be processed",
    ),
    "request.body": (
        "Aplikasi yang membawa Anda ke sini mengirim permintaan yang tidak sah, jadi Anda"
        " tidak dapat dikembalikan ke aplikasi itu dengan aman. Tutup halaman ini dan"
        " coba lagi dari aplikasinya.",
        "The app that sent you here made a request that is not valid, so you cannot be"
        " sent back to it safely. Close this page and try again from the app.",
    ),
    "request.detail": ("Detail untuk pengembang", "Details for the developer"),
    # the citizen's permissions page
    "consents.title": ("Izin aplikasi", "App permissions"),
    "consents.none": (
        "Anda belum memberi izin kepada aplikasi mana pun.",
        "You have not given any app permission.",
    ),
    "consents.since": (
        "Diizinkan sejak {since}, berlaku sampai {until}.",
        "Allowed since {since}, valid until {until}.",
    ),
    "consents.withdraw": ("Cabut izin", "Withdraw"),
    "consents.withdrawn": (
        "Izin untuk {app} telah dicabut. Aplikasi itu tidak dapat lagi mengambil data Anda.",
        "Your permission for {app} is withdrawn. That app can no longer fetch your data.",
    ),
    "consents.sign_out": ("Keluar", "Sign out"),
    "consents.signed_out": ("Anda telah keluar.", "You are signed out."),
    "error.title": ("Ada masalah", "Something went wrong"),
}


def text(key: str, lang: Lang, **values: object) -> str:
    """The text ``key`` in ``lang``, with ``{name}`` placeholders filled (not escaped)."""
    indonesian, english = TEXTS[key]
    chosen = indonesian if lang == "id" else english
    return chosen.format(**values) if values else chosen


def scope_words(scope: str, lang: Lang) -> str:
    words = SCOPE_WORDS.get(scope)
    if words is None:
        return scope
    return words[0] if lang == "id" else words[1]


def long_date(day: date, lang: Lang) -> str:
    """12 Juni 2026 / 12 June 2026."""
    if lang == "id":
        return f"{day.day} {_MONTHS_ID[day.month - 1]} {day.year}"
    return f"{day.day} {day:%B} {day.year}"


def choose_lang(explicit: str | None, accept_language: str | None) -> Lang:
    """``ui_locales`` (or the switch link) first; else the best of Accept-Language; else id."""
    for tag in (explicit or "").split():
        primary = tag.split("-")[0].lower()
        if primary in LANGS:
            return "id" if primary == "id" else "en"
    best: tuple[float, Lang] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.split("-")[0].strip().lower()
        if primary not in LANGS:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        lang: Lang = "id" if primary == "id" else "en"
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, lang)
    return best[1] if best is not None else "id"
