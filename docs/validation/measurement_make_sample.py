"""Write tests/data/measurement_sample.csv: a seeded synthetic data set shaped like the example
(4 regions x 6 partnerships x 3 waves, 120 responses per region and wave, items as answered,
about 4% item non-response). No real respondents. Run from the repository root:

    .venv/bin/python docs/validation/measurement_make_sample.py
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.measure import simulate_responses  # noqa: E402

from borgingsmonitor.core.questionnaire import load_questionnaire  # noqa: E402

q = load_questionnaire(ROOT / "config" / "questionnaire.yaml")
columns = ["region", "partnership_id", "wave", "role", "org_type", *q.item_codes]
df = simulate_responses()[columns]
df.to_csv(ROOT / "tests" / "data" / "measurement_sample.csv", index=False, lineterminator="\n")
print(f"{len(df)} rows written")
