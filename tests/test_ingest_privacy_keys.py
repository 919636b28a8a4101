"""Privacy at the door: keyed respondent pseudonyms, consent, anonymous identities and scrubbed free text."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_files import (
    google_settings,
    msforms_settings,
    responses,
    run_ingest,
    write_google_forms,
    write_msforms,
)

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.ingest.harmonise import KEEP_WITHOUT_CONSENT
from borgingsmonitor.ingest.privacy import normalise_identity, respondent_key, scrub_text
from borgingsmonitor.ingest.secret import load_secret

ROWS = responses(6, seed=4)


def expected_key(email: str, secret: str) -> str:
    return hmac.new(secret.encode(), email.strip().casefold().encode(), hashlib.sha256).hexdigest()[:20]


def test_key_is_hmac_sha256_of_the_normalised_email_with_the_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("BORGING_SECRET", "s3cret-s3cret-s3cret-s3cret-s3cret")
    table, _ = run_ingest(tmp_path, write_msforms(tmp_path / "f.xlsx", ROWS), msforms_settings())
    for i, r in enumerate(ROWS):
        if r["consent"]:
            assert table["respondent_key"].iloc[i] == expected_key(r["email"], "s3cret-s3cret-s3cret-s3cret-s3cret")
            assert table["respondent_key"].iloc[i] != hashlib.sha256(r["email"].encode()).hexdigest()[:20]


def test_same_email_in_two_waves_gets_the_same_key_whatever_its_case_and_spaces(tmp_path):
    first = write_msforms(tmp_path / "2023.xlsx", ROWS)
    later = [r | {"email": f"  {r['email'].upper()} "} for r in ROWS]
    second = write_google_forms(tmp_path / "2024.csv", later)
    keys_2023 = run_ingest(tmp_path, first, msforms_settings(wave=2023))[0]["respondent_key"]
    keys_2024 = run_ingest(tmp_path, second, google_settings(wave=2024))[0]["respondent_key"]
    assert keys_2023.notna().sum() == 5
    assert keys_2023.fillna("-").tolist() == keys_2024.fillna("-").tolist()
    assert keys_2023.dropna().is_unique


def test_a_different_secret_gives_different_keys(tmp_path, monkeypatch):
    path = write_msforms(tmp_path / "f.xlsx", ROWS)
    monkeypatch.setenv("BORGING_SECRET", "secret-one-secret-one-secret-one-1")
    one = run_ingest(tmp_path, path, msforms_settings())[0]["respondent_key"].dropna()
    monkeypatch.setenv("BORGING_SECRET", "secret-two-secret-two-secret-two-2")
    two = run_ingest(tmp_path, path, msforms_settings())[0]["respondent_key"].dropna()
    assert len(one) == len(two) == 5
    assert not set(one) & set(two)


@given(st.emails(), st.sampled_from(["", " ", "\t", "  \n"]), st.sampled_from([str.upper, str.lower, str.title, str]))
@settings(max_examples=200, deadline=None)
def test_key_ignores_case_and_surrounding_space(email, pad, case):
    secret = b"k"
    assert respondent_key(normalise_identity(pad + case(email) + pad), secret) == respondent_key(
        normalise_identity(email), secret
    )


def test_secret_from_the_environment_never_writes_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("BORGING_SECRET", "abc-abc-abc-abc-abc-abc-abc-abc-abc")
    target = tmp_path / "secret.key"
    assert load_secret(str(target), create_if_missing=True) == b"abc-abc-abc-abc-abc-abc-abc-abc-abc"
    assert not target.exists()


def test_missing_secret_file_stops_unless_creation_is_allowed(tmp_path, monkeypatch):
    monkeypatch.delenv("BORGING_SECRET", raising=False)
    with pytest.raises(InputError, match="does not exist"):
        load_secret(str(tmp_path / "none.key"), create_if_missing=False)
    created = load_secret(str(tmp_path / "new.key"), create_if_missing=True)
    assert len(created) == 64 and load_secret(str(tmp_path / "new.key"), False) == created


def test_a_response_without_consent_keeps_only_file_row_consent_and_completion(tmp_path):
    rows = [dict(r) for r in ROWS]
    rows[2]["hours"] = "ongeveer 4"  # no consent: this answer must not even be listed
    rows[3]["hours"] = "ongeveer 5"
    path = write_msforms(tmp_path / "f.xlsx", rows)
    table, issues = run_ingest(tmp_path, path, msforms_settings())
    assert not rows[2]["consent"] and table["consent"].iloc[2] == "no"
    row = table.iloc[2]
    kept = {c for c in table.columns if not pd.isna(row[c])}
    assert kept <= set(KEEP_WITHOUT_CONSENT)
    assert {"source_file", "source_row", "consent", "completed"} <= kept
    assert table.drop(columns=list(KEEP_WITHOUT_CONSENT)).iloc[2].isna().all()
    assert issues["source_row"].tolist() == [3] and issues["value"].tolist() == ["ongeveer 5"]


def test_unanswered_consent_is_no_consent_too(tmp_path):
    rows = [dict(r) for r in ROWS]
    path = write_google_forms(tmp_path / "g.csv", rows)
    text = path.read_text(encoding="utf-8").splitlines()
    text[1] = text[1].replace(",Ja,", ",,", 1)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    table, _ = run_ingest(tmp_path, path, google_settings())
    assert (
        pd.isna(table["consent"].iloc[0])
        and pd.isna(table["respondent_key"].iloc[0])
        and pd.isna(table["rel_know"].iloc[0])
    )


def test_anonymous_identities_get_no_key(tmp_path):
    path = write_msforms(tmp_path / "f.xlsx", ROWS, anonymous={0, 4})
    keys = run_ingest(tmp_path, path, msforms_settings())[0]["respondent_key"]
    assert keys.isna().tolist() == [True, False, True, False, True, False]  # 2: no consent


@pytest.mark.parametrize("value", ["", "  ", "anonymous", "Anoniem ", "ANONYMOUS"])
def test_empty_and_anonymous_values_in_csv_get_no_key(tmp_path, value):
    rows = [r | {"email": value} if i == 1 else r for i, r in enumerate(ROWS)]
    table, _ = run_ingest(tmp_path, write_google_forms(tmp_path / "g.csv", rows), google_settings())
    assert pd.isna(table["respondent_key"].iloc[1]) and pd.notna(table["respondent_key"].iloc[0])


def test_configured_anonymous_values(tmp_path):
    rows = [r | {"email": "onbekend"} if i == 1 else r for i, r in enumerate(ROWS)]
    path = write_google_forms(tmp_path / "g.csv", rows)
    table, _ = run_ingest(tmp_path, path, google_settings() | {"anonymous_values": ["Onbekend"]})
    assert pd.isna(table["respondent_key"].iloc[1])


def test_no_raw_identity_survives_harmonisation(tmp_path):
    path = write_msforms(tmp_path / "f.xlsx", ROWS)
    table, _ = run_ingest(tmp_path, path, msforms_settings())
    text = table.astype(str).to_csv()
    for r in ROWS:
        assert r["email"] not in text and r["name"] not in text


# --- free text --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,gone",
    [
        ("Mail me: renee.vanbeek@school.nl", "renee.vanbeek@school.nl"),
        ("Bel 06-12345678 of +31 6 1234 5678", "1234"),
        ("Bel gerust (06-06 10 48 18) als iets onduidelijk is.", "48 18"),
        ("Vast nummer 040-2345678", "2345678"),
        ("Via 0031 40 234 5678 bereikbaar", "234 5678"),
        ("Ingevuld vanaf 192.168.10.27", "192.168"),
        ("Zie https://school.nl/jan?id=3", "school.nl"),
        ("Prima. Groet, Renée van Beek", "Renée"),
        ("De leerlingen zijn enthousiast.\nMet vriendelijke groet,\nEsmée Brouwer", "Esmée"),
        ("Dank! mvg Kees", "Kees"),
        ("Top. Gr. Jan-Willem", "Jan-Willem"),
    ],
)
def test_scrub_removes_personal_data(text, gone):
    out = scrub_text(text, use_deduce=False)
    assert gone not in out
    assert out.strip()


@pytest.mark.parametrize(
    "text",
    [
        "Graag meer uren voor de verbinders.",
        "Het zou helpen als de roosters beter aansluiten. Graag meer overleg.",
        "De groep is groot en de groei is goed.",
        "Wij werken met 3 scholen en 12 docenten sinds 2021.",
    ],
)
def test_scrub_keeps_ordinary_text(text):
    assert scrub_text(text, use_deduce=False) == text


def test_scrub_extra_names_case_insensitively():
    assert (
        scrub_text("Overleg met jansen en JANSEN ging goed", ("Jansen",), use_deduce=False)
        == "Overleg met [naam] en [naam] ging goed"
    )


@pytest.mark.parametrize("value", [None, float("nan"), "", "   "])
def test_scrub_blank_is_missing(value):
    assert scrub_text(value, use_deduce=False) is None


@pytest.mark.parametrize("empty", [None, float("nan"), pd.NA, pd.NaT, "", "  "])
def test_an_empty_identity_is_none(empty):
    assert normalise_identity(empty) is None
