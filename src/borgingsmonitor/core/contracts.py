"""Facts shared between stages, written once: table columns, exclusion reasons, model names.

docs/results-contract.md gives the meaning of each; code everywhere else imports these names.
"""

from __future__ import annotations

# The cleaning rules, in the protocol's order; a raw row excluded by several rules gets the first.
EXCLUSION_REASONS = ("no_consent", "incomplete", "duplicate", "test", "speeder", "unknown_partnership")

# What marked a row as a test (harmonised `test_marker`), in the order a row's mark is chosen: the tool's own
# marker, a comment that is only a test note, a name such as "Test DLR", an e-mail address test...@.
TEST_MARKS = ("tool", "comment", "name", "e-mail")

# Longest comment kept (characters); a longer one is cut and listed in value_issues.csv as `too_long`.
COMMENT_MAX_CHARS = 2000

EXCLUSION_COLUMNS = ["region", "wave", "source_file", "source_row", "reason", "detail"]
ISSUE_COLUMNS = ["region", "wave", "source_file", "source_row", "column", "problem", "value"]
UNMAPPED_COLUMNS = ["region", "source_file", "column", "non_empty"]

# The main model (the conditions' hypotheses read it) and its standardised twin (results/tables/models.csv).
MAIN_MODEL = "conditions_mixed"
MAIN_MODEL_STD = f"{MAIN_MODEL}_std"

# How models.csv's method column marks a fit that did not converge: its estimates are listed but no
# conclusion is drawn from them (report/claims.py).
NOT_CONVERGED = "NOT CONVERGED"

# Protocol Amendment 1: with fewer regions than this a model declared `region_effect: auto` enters
# region as fixed effects (a variance on a handful of df, and the regions are the population);
# from this many on, as a random intercept.
RANDOM_REGIONS_FROM = 10
