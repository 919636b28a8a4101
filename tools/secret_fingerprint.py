"""Print a fingerprint of the secret behind respondent keys, so two machines can check they hold the
same one without showing it (the secret cannot be recovered from the fingerprint).

    .venv/bin/python tools/secret_fingerprint.py [--config config/config.yaml]

The secret is found as the workflow finds it: $BORGING_SECRET, else the file $BORGING_SECRET_FILE,
else privacy.secret_file of the config. Same fingerprint, same respondent keys.
"""

from __future__ import annotations

import argparse
import os
import sys

import yaml

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.ingest.secret import SECRET_ENV, fingerprint, load_secret, secret_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", default="config/config.yaml", help="the workflow's config (for privacy.secret_file)"
    )
    args = parser.parse_args()
    privacy = {}
    if os.path.exists(args.config):
        with open(args.config, encoding="utf-8") as handle:
            privacy = (yaml.safe_load(handle) or {}).get("privacy", {})
    try:
        secret = load_secret(privacy.get("secret_file"), create_if_missing=False)
        origin = f"${SECRET_ENV}" if SECRET_ENV in os.environ else str(secret_path(privacy.get("secret_file"))[0])
    except InputError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"{fingerprint(secret)}  ({origin})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
