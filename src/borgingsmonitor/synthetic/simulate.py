"""Seeded, vectorised synthetic data of the clean data set's and the registry's shape.

Used to test and benchmark the models at national scale (a million responses in seconds).
Every partnership has latent levels of the four conditions (region + partnership + respondent
parts); Likert items are the rounded latent score plus item noise, so the scales are coherent.
Perceived durability is drawn from the nested model on the *observed* condition scores,
    DUR* = intercept + sum_c effects[c] * score_c + wave[w] + u_region + u_partnership + e,
and the durability items are rounded DUR* plus item noise; DUR is their mean. So the fixed
effects and the region and partnership variances of `DUR ~ REL + FAC + PRO + ORG + C(wave)` are
recovered up to the small bias of rounding and clipping at 1 and 5 (`sigma2["partnership_wave"]`
adds a partnership-within-wave intercept, absent by default), and the residual variance is
sigma2["residual"] plus the item noise (`truth["residual_observed"]`). With
`dur_from_items=False`, DUR is DUR* itself and the truth is exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from borgingsmonitor.core.questionnaire import SCALES

ITEMS = {
    "REL": ["rel_know", "rel_trust", "rel_goodwill", "rel_levels", "rel_reciprocity", "rel_distant"],
    "FAC": ["fac_time", "fac_resources", "fac_devroom", "fac_meeting"],
    "PRO": ["pro_celebrate", "pro_failure", "pro_impact", "pro_shared"],
    "ORG": ["org_strategy", "org_culture", "org_structure"],
    "DUR": ["dur_continue", "dur_embedded", "dur_commitment"],
}
REVERSE = ("rel_distant",)
CONDITIONS = ("REL", "FAC", "PRO", "ORG")
DEFAULT_EFFECTS = {"REL": 0.35, "FAC": 0.15, "PRO": 0.20, "ORG": 0.25}
DEFAULT_SIGMA2 = {"region": 0.03, "partnership": 0.06, "residual": 0.20}
DEFAULT_WAVES = tuple(range(2019, 2026))
ROLES = (("Docent", 0.5), ("Teamleider", 0.2), ("Directie/bestuur", 0.1), ("Verbinder/coördinator", 0.2))
ORG_TYPES = (("vmbo", 0.45), ("mbo", 0.45), ("bedrijfsleven", 0.10))
PHASES = ("Verkenning", "Opstart", "Uitvoering", "Netwerkdip", "Borging")
SECTORS = ("Techniek", "Zorg & Welzijn", "ICT", "Groen", "Horeca & Bakkerij", "Sport & Bewegen", "Maritiem")
COMMENTS = (
    "Goede samenwerking, maar te weinig tijd.",
    "Het wekelijkse overleg helpt echt.",
    "Na de subsidie is het onzeker hoe we verder gaan.",
    "Meer contact met het bestuur nodig.",
)
CONDITION_MEAN = {"REL": 3.5, "FAC": 3.0, "PRO": 3.2, "ORG": 3.1}
CONDITION_SD = {"region": 0.2, "partnership": 0.35, "respondent": 0.55}
ITEM_NOISE_SD = 0.55
DUR_MEAN = 3.4


def _structure(n_regions: int, n_partnerships: int, waves, seed: int) -> dict:
    """Regions, partnerships, start/stop years and latent partnership levels (shared by both)."""
    if n_partnerships < n_regions:
        raise ValueError("need at least one partnership per region")
    rng = np.random.default_rng([seed, 1])
    waves = np.asarray(sorted(waves), dtype=int)
    share = rng.dirichlet(np.full(n_regions, 5.0))
    extra = rng.multinomial(n_partnerships - n_regions, share)
    per_region = 1 + extra
    region_of = np.repeat(np.arange(n_regions), per_region)
    within = np.arange(n_partnerships) - np.repeat(np.cumsum(per_region) - per_region, per_region)
    width = max(2, len(str(per_region.max())))
    rwidth = max(2, len(str(n_regions)))
    region_name = np.array([f"Regio {i + 1:0{rwidth}d}" for i in range(n_regions)], dtype=object)
    region_slug = np.array([f"regio-{i + 1:0{rwidth}d}" for i in range(n_regions)], dtype=object)
    code = np.array([f"R{i + 1:0{rwidth}d}" for i in range(n_regions)], dtype=object)
    pid = np.array([f"{code[r]}-{j + 1:0{width}d}" for r, j in zip(region_of, within)], dtype=object)
    start = rng.integers(waves[0] - 4, waves[-1], n_partnerships)
    u_cond_region = rng.normal(0, CONDITION_SD["region"], (n_regions, 4))
    u_cond_part = rng.normal(0, CONDITION_SD["partnership"], (n_partnerships, 4))
    level = u_cond_region[region_of] + u_cond_part
    stopped = _stop_years(rng, start, start + 4, level.mean(axis=1), waves[-1])
    return dict(
        waves=waves,
        region_of=region_of,
        region_name=region_name,
        region_slug=region_slug,
        pid=pid,
        start=start,
        funding_end=start + 4,
        stopped=stopped,
        level=level,
        size=rng.lognormal(0.0, 0.5, n_partnerships),
        sector=rng.integers(0, len(SECTORS), n_partnerships),
    )


def _stop_years(rng, start, funding_end, level, last_year):
    """Discrete-time stopping: more likely after funding ends, less with stronger conditions."""
    stopped = np.full(len(start), -1)
    for year in range(int(start.min()) + 1, int(last_year) + 1):
        at_risk = (stopped < 0) & (year > start)
        logit = -4.0 + 1.5 * (year > funding_end) - 1.2 * level
        event = at_risk & (rng.random(len(start)) < 1 / (1 + np.exp(-logit)))
        stopped[event] = year
    return stopped


def simulate_registry(
    n_regions: int = 40, n_partnerships: int = 320, waves=DEFAULT_WAVES, seed: int = 1
) -> pd.DataFrame:
    """A registry of the real one's columns; the same seed gives `simulate_clean`'s partnerships."""
    s = _structure(n_regions, n_partnerships, waves, seed)
    sector = np.asarray(SECTORS, dtype=object)[s["sector"]]
    region = s["region_name"][s["region_of"]]
    return pd.DataFrame(
        {
            "partnership_id": s["pid"],
            "region": region,
            "name": "Route " + sector + " " + region,
            "sector": sector,
            "vmbo_school": "Vmbo " + s["pid"],
            "mbo_institution": "Mbo " + s["region_name"][s["region_of"]],
            "start_year": s["start"],
            "funding_end_year": s["funding_end"],
            "stopped_year": pd.array(np.where(s["stopped"] < 0, None, s["stopped"]), dtype="Int64"),
        }
    )


def simulate_clean(
    n_responses: int,
    n_regions: int = 40,
    n_partnerships: int = 320,
    waves=DEFAULT_WAVES,
    seed: int = 1,
    effects: dict | None = None,
    sigma2: dict | None = None,
    *,
    wave_effects: dict | None = None,
    missing_rate: float = 0.03,
    dur_from_items: bool = True,
) -> tuple[pd.DataFrame, dict]:
    """(clean responses frame, true parameters). Same arguments and seed => identical output."""
    effects = dict(DEFAULT_EFFECTS, **(effects or {}))
    sigma2 = dict(DEFAULT_SIGMA2, **(sigma2 or {}))
    s = _structure(n_regions, n_partnerships, waves, seed)
    waves = s["waves"]
    wave_effects = {int(w): 0.0 for w in waves} | {int(k): v for k, v in (wave_effects or {}).items()}
    rng = np.random.default_rng([seed, 2])

    part, wave = _allocate(rng, s, n_responses)
    order = np.argsort(s["region_of"][part] * len(waves) + np.searchsorted(waves, wave), kind="stable")
    part, wave = part[order], wave[order]
    region = s["region_of"][part]
    n = len(part)

    u_region = rng.normal(0, np.sqrt(sigma2["region"]), n_regions)
    u_part = rng.normal(0, np.sqrt(sigma2["partnership"]), n_partnerships)
    corr = np.full((4, 4), 0.4) + 0.6 * np.eye(4)
    indiv = rng.standard_normal((n, 4)) @ np.linalg.cholesky(corr).T * CONDITION_SD["respondent"]
    latent = np.array([CONDITION_MEAN[c] for c in CONDITIONS]) + s["level"][part] + indiv

    out = {}
    scores = {}
    for j, scale in enumerate(CONDITIONS):
        items, score = _likert_scale(rng, latent[:, j], ITEMS[scale], missing_rate)
        out.update(items)
        scores[scale] = score
    filled = np.column_stack([np.where(np.isnan(scores[c]), latent[:, i], scores[c]) for i, c in enumerate(CONDITIONS)])
    eff = np.array([effects[c] for c in CONDITIONS])
    intercept = DUR_MEAN - float(eff @ np.array([CONDITION_MEAN[c] for c in CONDITIONS]))
    wave_term = np.array([wave_effects[int(w)] for w in waves])[np.searchsorted(waves, wave)]
    dur_latent = (
        intercept
        + filled @ eff
        + wave_term
        + u_region[region]
        + u_part[part]
        + rng.normal(0, np.sqrt(sigma2["residual"]), n)
    )
    if sigma2.get("partnership_wave", 0.0) > 0:
        # own stream, so data without this component stay identical for a seed
        cell = part.astype(np.int64) * len(waves) + np.searchsorted(waves, wave)
        sd = np.sqrt(sigma2["partnership_wave"])
        u_pw = np.random.default_rng([seed, 3]).normal(0, sd, n_partnerships * len(waves))
        dur_latent = dur_latent + u_pw[cell]
    dur_items, dur_score = _likert_scale(rng, dur_latent, ITEMS["DUR"], missing_rate)
    out.update(dur_items)
    scores["DUR"] = dur_score if dur_from_items else dur_latent

    frame = _frame(rng, s, part, wave, region, latent, out, scores, seed)
    base_wave = int(waves[0])
    truth = {
        "intercept": intercept + wave_effects[base_wave],
        "effects": effects,
        "wave": {w: wave_effects[w] - wave_effects[base_wave] for w in wave_effects},
        "sigma2": sigma2,
        "residual_observed": (
            sigma2["residual"] + (ITEM_NOISE_SD**2 + 1 / 12) / 3 if dur_from_items else sigma2["residual"]
        ),
        "u_region": dict(zip(s["region_slug"], u_region)),
        "u_partnership": dict(zip(s["pid"], u_part)),
        "formula": "DUR ~ REL + FAC + PRO + ORG + C(wave)",
    }
    return frame, truth


def _allocate(rng, s, n_responses):
    """Responses over the (partnership, wave) cells where the partnership runs."""
    waves = s["waves"]
    start, stopped = s["start"], s["stopped"]
    running = (waves[None, :] >= start[:, None]) & ((stopped[:, None] < 0) | (waves[None, :] <= stopped[:, None]))
    weight = running * s["size"][:, None]
    counts = rng.multinomial(n_responses, (weight / weight.sum()).ravel())
    cell = np.repeat(np.arange(counts.size), counts)
    return cell // len(waves), waves[cell % len(waves)]


def _likert_scale(rng, latent, codes, missing_rate):
    """Items 1..5 (reverse items stored as answered) and the scale score (>= 2/3 answered)."""
    n, k = len(latent), len(codes)
    keyed = rng.normal(0, ITEM_NOISE_SD, (k, n))
    keyed += latent
    np.clip(np.rint(keyed, out=keyed), 1, 5, out=keyed)
    missing = rng.random((k, n)) < missing_rate
    answered = k - missing.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(missing, 0, keyed).sum(axis=0) / answered
    score[3 * answered < 2 * k] = np.nan
    items = {}
    for j, code in enumerate(codes):
        raw = 6 - keyed[j] if code in REVERSE else keyed[j]
        items[code] = pd.arrays.IntegerArray(raw.astype(np.int64), missing[j])
    return items, score


def _frame(rng, s, part, wave, region, latent, items, scores, seed):
    n = len(part)
    age = wave - s["start"][part]
    slug = s["region_slug"][region]
    first = np.r_[True, (region[1:] != region[:-1]) | (wave[1:] != wave[:-1])] if n else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    source_file = np.char.add(np.char.add(s["region_slug"].astype(str)[region], "/"), wave.astype(str))
    phase = np.clip(np.rint(0.8 * age + rng.normal(0, 0.8, n)), 0, 4).astype(int)
    years = np.clip(np.minimum(age, rng.poisson(2.5, n)), 0, 30)
    fac_hours = np.round(np.clip(1.5 + 1.2 * (latent[:, 1] - 3) + rng.gamma(1.5, 1.0, n), 0, 40), 1)
    fac_hours[rng.random(n) < 0.1] = np.nan
    comment = np.full(n, None, dtype=object)
    has = rng.random(n) < 0.05
    comment[has] = np.asarray(COMMENTS, dtype=object)[rng.integers(0, len(COMMENTS), has.sum())]
    frame = {
        "respondent_key": _respondent_keys(rng, part, wave, seed),
        "region": slug,
        "partnership_id": s["pid"][part],
        "wave": wave.astype(np.int64),
        "source_file": np.char.add(source_file, "/export.csv").astype(object),
        "source_row": (np.arange(n) - group_start).astype(np.int64),
        "role": _choice(rng, ROLES, n),
        "org_type": _choice(rng, ORG_TYPES, n),
        "phase": np.asarray(PHASES, dtype=object)[phase],
        "years_involved": pd.array(years.astype(np.int64), dtype="Int64"),
        "fac_hours": fac_hours,
    }
    for scale in SCALES:
        for code in ITEMS[scale]:
            frame[code] = items[code]
    for scale in SCALES:
        frame[scale] = scores[scale]
    frame["partnership_age"] = pd.array(age.astype(np.int64), dtype="Int64")
    frame["comment"] = comment
    return pd.DataFrame(frame)


def _choice(rng, options, n):
    labels = np.asarray([o for o, _ in options], dtype=object)
    p = np.array([w for _, w in options])
    return labels[rng.choice(len(labels), size=n, p=p / p.sum())]


def _respondent_keys(rng, part, wave, seed):
    """Panel keys: within a partnership a pool of people, none twice in one wave."""
    n = len(part)
    if n == 0:
        return np.array([], dtype=object)
    cell = part.astype(np.int64) * 10_000 + wave
    order = np.lexsort((wave, part))
    sc = cell[order]
    first = np.r_[True, sc[1:] != sc[:-1]]
    rank = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
    sizes = np.bincount(np.cumsum(first) - 1)
    cell_size = np.repeat(sizes, sizes)
    n_part = part.max() + 1
    pool = np.zeros(n_part, dtype=np.int64)
    np.maximum.at(pool, part[order], np.ceil(1.5 * cell_size).astype(np.int64))
    offset = rng.integers(0, 1 << 20, len(sizes))[np.cumsum(first) - 1]
    person = (rank + offset) % pool[part[order]]
    ids = np.empty(n, dtype=np.uint64)
    ids[order] = (part[order].astype(np.uint64) << np.uint64(32)) + person.astype(np.uint64)
    return _hex(ids, seed)


def _hex(ids: np.ndarray, seed: int) -> np.ndarray:
    """16 hex digits of a seeded 64-bit mix of the ids (stands in for the keyed hash)."""
    x = ids.astype(np.uint64) ^ np.uint64(seed * 0x9E3779B97F4A7C15 % (1 << 64))
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    b = x.astype(">u8").view(np.uint8).reshape(-1, 8)
    lut = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    out = np.empty((len(ids), 16), dtype=np.uint8)
    out[:, 0::2] = lut[b >> 4]
    out[:, 1::2] = lut[b & 15]
    return out.view("S16").ravel().astype(str).astype(object)
