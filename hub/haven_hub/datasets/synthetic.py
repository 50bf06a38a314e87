"""A synthetic demo dataset: patients and their hospital admissions. No real data.

Everything is drawn from numpy generators seeded by (seed, table, chunk number), and the
chunk size is a constant, so the same seed gives byte-identical Parquet files whatever the
size asked for. Tables are written chunk by chunk with pyarrow, so a 1e7-row run holds one
chunk of admissions plus a few bytes per patient in memory.

The shapes are meant to look like English hospital episode data closely enough for
disclosure checks to have work to do: admissions skew old and deprived, a few patients
have many admissions, costs have a long tail with a handful of dominant values, and some
categories are rare (indeterminate sex, unknown region, perinatal and pregnancy chapters
restricted to who can have them, chapter XXII).
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK_ROWS = 500_000  # a constant: changing it changes every file for a given seed
PATIENTS_PER_ADMISSION = 0.25

AGE_BANDS = ["0-4", "5-14", "15-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85-89", "90+"]
AGE_SHARE = np.array([0.055, 0.12, 0.12, 0.135, 0.13, 0.13, 0.125, 0.1, 0.06, 0.017, 0.008])
AGE_ADMISSION_RATE = np.array([1.2, 0.4, 0.5, 0.6, 0.7, 0.9, 1.3, 2.0, 3.0, 4.0, 4.5])
SEXES = ["F", "M", "I"]  # I: indeterminate, deliberately rare
SEX_SHARE = np.array([0.5075, 0.492, 0.0005])
REGIONS = [
    "North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
    "East of England", "London", "South East", "South West", "Unknown",
]
REGION_SHARE = np.array([2.7, 7.5, 5.5, 4.9, 6.0, 6.4, 8.9, 9.3, 5.7, 0.06])
IMD_ADMISSION_RATE = np.array([1.4, 1.2, 1.0, 0.9, 0.8])  # quintile 1 = most deprived
METHODS = ["Elective", "Emergency", "Maternity"]

# (roman numeral, title, share of admissions, typical cost in GBP)
CHAPTERS = [
    ("I", "Certain infectious and parasitic diseases", 0.03, 2200),
    ("II", "Neoplasms", 0.10, 4000),
    ("III", "Diseases of the blood and immune mechanism", 0.01, 1800),
    ("IV", "Endocrine, nutritional and metabolic diseases", 0.02, 1900),
    ("V", "Mental and behavioural disorders", 0.02, 3500),
    ("VI", "Diseases of the nervous system", 0.03, 2600),
    ("VII", "Diseases of the eye and adnexa", 0.04, 1200),
    ("VIII", "Diseases of the ear and mastoid process", 0.005, 1300),
    ("IX", "Diseases of the circulatory system", 0.09, 3800),
    ("X", "Diseases of the respiratory system", 0.09, 2900),
    ("XI", "Diseases of the digestive system", 0.12, 2100),
    ("XII", "Diseases of the skin and subcutaneous tissue", 0.02, 1500),
    ("XIII", "Diseases of the musculoskeletal system", 0.08, 3300),
    ("XIV", "Diseases of the genitourinary system", 0.07, 2000),
    ("XV", "Pregnancy, childbirth and the puerperium", 0.06, 2400),
    ("XVI", "Certain conditions originating in the perinatal period", 0.01, 5200),
    ("XVII", "Congenital malformations and chromosomal abnormalities", 0.003, 6000),
    ("XVIII", "Symptoms, signs and abnormal findings", 0.12, 900),
    ("XIX", "Injury, poisoning and external causes", 0.07, 2700),
    ("XX", "External causes of morbidity", 0.0005, 2000),
    ("XXI", "Factors influencing health status", 0.05, 800),
    ("XXII", "Codes for special purposes", 0.001, 3000),
]
FIRST_DAY = date(2018, 1, 1)
LAST_DAY = date(2024, 12, 31)

PATIENT_SCHEMA = pa.schema([
    ("patient_id", pa.int64()), ("sex", pa.string()), ("age_band", pa.string()),
    ("region", pa.string()), ("imd_quintile", pa.int8()),
])
ADMISSION_SCHEMA = pa.schema([
    ("admission_id", pa.int64()), ("patient_id", pa.int64()), ("admission_date", pa.date32()),
    ("discharge_date", pa.date32()), ("length_of_stay_days", pa.int32()), ("admission_method", pa.string()),
    ("diagnosis_chapter", pa.string()), ("diagnosis_chapter_title", pa.string()), ("cost_gbp", pa.float64()),
])
DESCRIPTIONS = {
    "patients": {
        "patient_id": "pseudonymous patient identifier (synthetic)",
        "sex": "F, M or I (indeterminate; rare)",
        "age_band": "age band at 1 January 2018",
        "region": "English region of residence; Unknown is rare",
        "imd_quintile": "Index of Multiple Deprivation quintile, 1 = most deprived",
    },
    "admissions": {
        "admission_id": "admission identifier (synthetic)",
        "patient_id": "joins patients.patient_id",
        "admission_date": "date admitted, 2018 to 2024, more in winter",
        "discharge_date": "date discharged: admission_date + length_of_stay_days",
        "length_of_stay_days": "whole days; 0 for a day case",
        "admission_method": "Elective, Emergency or Maternity",
        "diagnosis_chapter": "ICD-10 chapter of the primary diagnosis (Roman numeral)",
        "diagnosis_chapter_title": "title of the ICD-10 chapter",
        "cost_gbp": "synthetic cost of the admission in pounds; long-tailed",
    },
}


def _rng(seed: int, table: int, chunk: int) -> np.random.Generator:
    return np.random.default_rng([seed, table, chunk])


def _labels(indices: np.ndarray, labels: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(labels)).cast(pa.string())


def _chapter_cumulative() -> np.ndarray:
    """Cumulative chapter probabilities for each (age band, sex): who can have what."""
    base = np.array([share for _, _, share, _ in CHAPTERS])
    code = [c for c, _, _, _ in CHAPTERS]
    table = np.empty((len(AGE_BANDS), len(SEXES), len(CHAPTERS)))
    for age in range(len(AGE_BANDS)):
        for sex in range(len(SEXES)):
            weights = base.copy()
            old, child = age >= 6, age <= 1
            weights[code.index("II")] *= 2.0 if old else 0.5
            weights[code.index("IX")] *= 2.5 if old else 0.4
            weights[code.index("X")] *= 1.5 if child else 1.0
            weights[code.index("XVII")] *= 3.0 if child else 0.3
            if not (SEXES[sex] == "F" and 2 <= age <= 4):
                weights[code.index("XV")] = 0.0  # pregnancy: women aged 15-44 only
            if age != 0:
                weights[code.index("XVI")] = 0.0  # perinatal: under-5s only
            table[age, sex] = np.cumsum(weights / weights.sum())
    table[..., -1] = 1.0
    return table


def _day_cumulative() -> np.ndarray:
    days = np.arange((LAST_DAY - FIRST_DAY).days + 1)
    day_of_year = (days + FIRST_DAY.timetuple().tm_yday - 1) % 365
    winter = 1.0 + 0.25 * np.cos(2 * np.pi * (day_of_year - 15) / 365)  # peak mid-January
    cumulative = np.cumsum(winter / winter.sum())
    cumulative[-1] = 1.0
    return cumulative


def _write_patients(path: Path, count: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ages = np.empty(count, np.int8)
    sexes = np.empty(count, np.int8)
    frailty = np.empty(count, np.float64)
    with pq.ParquetWriter(path, PATIENT_SCHEMA, compression="zstd") as writer:
        for chunk, start in enumerate(range(0, count, CHUNK_ROWS)):
            n = min(CHUNK_ROWS, count - start)
            rng = _rng(seed, 1, chunk)
            age = rng.choice(len(AGE_BANDS), n, p=AGE_SHARE / AGE_SHARE.sum())
            sex = rng.choice(len(SEXES), n, p=SEX_SHARE / SEX_SHARE.sum())
            region = rng.choice(len(REGIONS), n, p=REGION_SHARE / REGION_SHARE.sum())
            imd = rng.integers(0, 5, n)  # quintiles of the population: equal by definition
            # A gamma-distributed frailty gives the few patients with many admissions.
            frailty[start:start + n] = AGE_ADMISSION_RATE[age] * IMD_ADMISSION_RATE[imd] * rng.gamma(0.8, 1.25, n)
            ages[start:start + n], sexes[start:start + n] = age, sex
            writer.write_table(pa.table([
                pa.array(np.arange(start + 1, start + n + 1), pa.int64()), _labels(sex, SEXES),
                _labels(age, AGE_BANDS), _labels(region, REGIONS), pa.array(imd + 1, pa.int8()),
            ], schema=PATIENT_SCHEMA))
    return ages, sexes, frailty


def _admission_chunk(rng, start, n, ages, sexes, patient_cumulative, chapter_cumulative, day_cumulative) -> pa.Table:
    patient = np.searchsorted(patient_cumulative, rng.random(n) * patient_cumulative[-1], side="right")
    patient = np.minimum(patient, len(ages) - 1)
    age, sex = ages[patient], sexes[patient]
    chapter = (rng.random(n)[:, None] > chapter_cumulative[age, sex]).sum(axis=1)
    maternity = chapter == [c for c, _, _, _ in CHAPTERS].index("XV")
    emergency = rng.random(n) < 0.35 + 0.04 * age
    method = np.where(maternity, 2, np.where(emergency, 1, 0))
    day_case = (method == 0) & (rng.random(n) < 0.7)
    mean_stay = np.where(method == 1, 2.0 + 0.8 * age, np.where(method == 2, 1.5, 3.0))
    stay = np.where(day_case, 0, rng.geometric(1.0 / (mean_stay + 1.0)) - 1)
    stay = np.minimum(stay, 365).astype(np.int32)
    admitted = np.searchsorted(day_cumulative, rng.random(n), side="right")
    admitted = (np.datetime64(FIRST_DAY) + admitted.astype("timedelta64[D]"))
    tariff = np.array([cost for _, _, _, cost in CHAPTERS], np.float64)[chapter]
    cost = tariff * (1.0 + 0.35 * stay) * rng.lognormal(0.0, 0.5, n) * np.where(method == 1, 1.3, 1.0)
    cost = np.where(rng.random(n) < 5e-5, cost * 20.0, cost)  # a few dominant, very costly stays
    return pa.table([
        pa.array(np.arange(start + 1, start + n + 1), pa.int64()), pa.array(patient + 1, pa.int64()),
        pa.array(admitted, pa.date32()), pa.array(admitted + stay.astype("timedelta64[D]"), pa.date32()),
        pa.array(stay, pa.int32()), _labels(method, METHODS),
        _labels(chapter, [c for c, _, _, _ in CHAPTERS]), _labels(chapter, [t for _, t, _, _ in CHAPTERS]),
        pa.array(np.round(cost, 2), pa.float64()),
    ], schema=ADMISSION_SCHEMA)


def write_synthetic(out: Path, *, rows: int, seed: int = 20260101) -> list[Path]:
    """Write ``patients.parquet`` and ``admissions.parquet`` (``rows`` admissions) into
    ``out``, each with a ``.columns.json`` of column descriptions for ``dataset add``."""
    if rows < 1:
        raise ValueError("rows must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    patients = max(1, int(rows * PATIENTS_PER_ADMISSION))
    partial = {name: out / f".{name}.parquet.partial" for name in ("patients", "admissions")}
    ages, sexes, frailty = _write_patients(partial["patients"], patients, seed)
    patient_cumulative = np.cumsum(frailty)
    del frailty
    chapter_cumulative, day_cumulative = _chapter_cumulative(), _day_cumulative()
    with pq.ParquetWriter(partial["admissions"], ADMISSION_SCHEMA, compression="zstd") as writer:
        for chunk, start in enumerate(range(0, rows, CHUNK_ROWS)):
            n = min(CHUNK_ROWS, rows - start)
            writer.write_table(_admission_chunk(
                _rng(seed, 2, chunk), start, n, ages, sexes, patient_cumulative, chapter_cumulative, day_cumulative,
            ))
    written = []
    for name, path in partial.items():
        final = out / f"{name}.parquet"
        os.replace(path, final)  # whole files only: a reader never sees a partial one
        descriptions = out / f"{name}.columns.json"
        descriptions.write_text(json.dumps(DESCRIPTIONS[name], indent=2) + "\n", encoding="utf-8")
        written += [final, descriptions]
    return written
