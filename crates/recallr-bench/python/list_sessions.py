"""List every session of one user with the vendor's Python SDK (recallrai),
paging by hand as its users must, and print one JSON line:
{"items": N, "requests": R, "seconds": S, "cpu_seconds": C, "python": "...",
"recallrai": "..."}.

Credentials and the base URL come from RECALLR_API_KEY, RECALLR_PROJECT_ID
and RECALLR_BASE_URL. Run by `recallr-bench run`; only the walk is timed,
not the imports or building the client.
"""

import argparse
import importlib.metadata
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--user", required=True)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()

    env = {}
    for name in ("RECALLR_API_KEY", "RECALLR_PROJECT_ID", "RECALLR_BASE_URL"):
        value = os.environ.get(name)
        if not value:
            fail(f"{name} is not set")
        env[name] = value

    try:
        from recallrai.models import UserModel
        from recallrai.user import User
        from recallrai.utils import HTTPClient
    except ImportError as err:
        fail(f"cannot import recallrai (pip install recallrai==0.6.6): {err}")

    # Build the User directly: the SDK's get_user() would call another
    # endpoint first, which is not what is measured.
    http = HTTPClient(
        api_key=env["RECALLR_API_KEY"],
        project_id=env["RECALLR_PROJECT_ID"],
        base_url=env["RECALLR_BASE_URL"],
    )
    now = datetime.now(timezone.utc)
    user = User(
        http,
        UserModel(
            user_id=args.user,
            metadata={},
            merge_conflict_enabled=None,
            created_at=now,
            last_active_at=now,
        ),
    )

    items = 0
    requests = 0
    offset = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    try:
        while True:
            page = user.list_sessions(offset=offset, limit=args.page_size)
            requests += 1
            received = len(page.sessions)
            items += received
            if not page.has_more or received == 0:
                break
            offset += received
    except Exception as err:  # the SDK raises its own types; report any
        fail(f"list_sessions failed at offset {offset}: {type(err).__name__}: {err}")
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started

    print(
        json.dumps(
            {
                "items": items,
                "requests": requests,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "python": platform.python_version(),
                "recallrai": importlib.metadata.version("recallrai"),
            }
        )
    )


if __name__ == "__main__":
    main()
