#!/usr/bin/env python3
"""Checks recallr-stub against the vendor's official Python SDK.

Needs `recallrai==0.6.6`. Usage:

    python official_sdk.py [BASE_URL]

BASE_URL defaults to $RECALLR_STUB_URL. The stub must serve user `user-0`
(override with $RECALLR_STUB_USER) with sessions, under the default
credentials (override with $RECALLR_STUB_API_KEY / $RECALLR_STUB_PROJECT_ID),
as `recallr-stub serve --users 3 --sessions-per-user 250 --seed 7` does.

The SDK has no call that builds a `User` from an id alone (`get_user`
needs another endpoint), so this builds one from the SDK's own `UserModel`,
then lists sessions with the SDK's `User.list_sessions` and checks that
every field decodes. Exits 1 with a message on the first failure.
"""

import os
import sys
import uuid
from datetime import datetime, timezone

PAGE = 100


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def build_user(base_url, api_key, project_id, user_id):
    from recallrai import RecallrAI, User
    from recallrai.models import UserModel

    client = RecallrAI(api_key=api_key, project_id=project_id, base_url=base_url, timeout=30)
    now = datetime.now(timezone.utc)
    model = UserModel(
        user_id=user_id,
        metadata={},
        merge_conflict_enabled=None,
        created_at=now,
        last_active_at=now,
    )
    # The client's private HTTP client is what RecallrAI.get_user hands to User.
    return User(client._http, model)


def check_page(page, label):
    """Every field of a SessionList and its sessions decodes to its type."""
    from recallrai.models import SessionStatus

    check(isinstance(page.total, int) and page.total >= 0, f"{label}: total {page.total!r}")
    check(isinstance(page.has_more, bool), f"{label}: has_more {page.has_more!r}")
    check(isinstance(page.sessions, list), f"{label}: sessions {page.sessions!r}")
    previous = None
    for session in page.sessions:
        where = f"{label}: session {session.session_id!r}"
        check(isinstance(session.session_id, str), f"{where}: session_id is not a string")
        try:
            uuid.UUID(session.session_id)
        except ValueError:
            raise Failure(f"{where}: session_id is not a UUID")
        check(isinstance(session.status, SessionStatus), f"{where}: status {session.status!r}")
        check(isinstance(session.created_at, datetime), f"{where}: created_at {session.created_at!r}")
        check(session.created_at.tzinfo is not None, f"{where}: created_at has no time zone")
        check(isinstance(session.metadata, dict), f"{where}: metadata {session.metadata!r}")
        if previous is not None:
            check(previous >= session.created_at, f"{label}: not newest first at {session.session_id}")
        previous = session.created_at


def walk(user, **filters):
    """Every session, page by page, checking each page."""
    sessions, offset, total = [], 0, None
    while True:
        page = user.list_sessions(offset=offset, limit=PAGE, **filters)
        check_page(page, f"page at offset {offset} with {filters}")
        total = page.total if total is None else total
        check(page.total == total, f"total changed from {total} to {page.total}")
        expected = min(PAGE, max(total - offset, 0))
        check(len(page.sessions) == expected, f"offset {offset}: {len(page.sessions)} sessions, expected {expected}")
        check(page.has_more == (offset + len(page.sessions) < total), f"offset {offset}: has_more {page.has_more}")
        sessions.extend(page.sessions)
        offset += PAGE
        if not page.has_more:
            return sessions, total


def contains(metadata, wanted):
    return all(
        key in metadata
        and (contains(metadata[key], value) if isinstance(value, dict) and isinstance(metadata[key], dict) else metadata[key] == value)
        for key, value in wanted.items()
    )


def run(base_url, api_key, project_id, user_id):
    from recallrai.exceptions import AuthenticationError, UserNotFoundError, ValidationError
    from recallrai.models import SessionStatus

    user = build_user(base_url, api_key, project_id, user_id)

    everything, total = walk(user)
    check(total > 0, f"user {user_id} has no sessions: the checks need some")
    ids = [session.session_id for session in everything]
    check(len(ids) == total and len(set(ids)) == total, "the walk did not see every session exactly once")
    print(f"ok: {total} sessions of {user_id} decode, newest first, over {len(range(0, total, PAGE))} pages")

    wanted = [SessionStatus.FAILED, SessionStatus.PENDING]
    filtered, filtered_total = walk(user, status_filter=wanted)
    expected = sum(1 for session in everything if session.status in wanted)
    check(filtered_total == expected, f"status filter: total {filtered_total}, expected {expected}")
    check(all(session.status in wanted for session in filtered), "status filter: a session of another status")
    print(f"ok: status_filter=[failed, pending] selects {filtered_total}")

    nested = next((s.metadata for s in everything if isinstance(s.metadata.get("lang"), dict)), None)
    check(nested is not None, "no session has nested metadata to filter on")
    metadata_filter = {"lang": nested["lang"]}
    filtered, filtered_total = walk(user, metadata_filter=metadata_filter)
    expected = sum(1 for session in everything if contains(session.metadata, metadata_filter))
    check(filtered_total == expected, f"metadata filter: total {filtered_total}, expected {expected}")
    check(all(contains(s.metadata, metadata_filter) for s in filtered), "metadata filter: a session that does not match")
    print(f"ok: metadata_filter={metadata_filter} selects {filtered_total}")

    both = {"status_filter": [SessionStatus.PROCESSED], "metadata_filter": metadata_filter}
    filtered, filtered_total = walk(user, **both)
    expected = sum(
        1 for s in everything if s.status == SessionStatus.PROCESSED and contains(s.metadata, metadata_filter)
    )
    check(filtered_total == expected, f"both filters: total {filtered_total}, expected {expected}")
    print(f"ok: both filters select {filtered_total}")

    # The SDK's error mapping against the stub's error statuses.
    for label, call, error in [
        ("an unknown user", lambda: build_user(base_url, api_key, project_id, "no-such-user").list_sessions(), UserNotFoundError),
        ("a wrong API key", lambda: build_user(base_url, "rai_wrong", project_id, user_id).list_sessions(), AuthenticationError),
        ("limit=0", lambda: user.list_sessions(limit=0), ValidationError),
    ]:
        try:
            call()
        except error:
            pass
        except Exception as other:  # noqa: BLE001 - reported as a failure
            raise Failure(f"{label}: expected {error.__name__}, got {type(other).__name__}: {other}")
        else:
            raise Failure(f"{label}: expected {error.__name__}, got a page")
    print("ok: 404, 401 and 422 map to the SDK's UserNotFoundError, AuthenticationError, ValidationError")


def main(argv):
    base_url = argv[1] if len(argv) > 1 else os.environ.get("RECALLR_STUB_URL")
    if not base_url:
        print("error: pass the stub's base URL as the first argument or in RECALLR_STUB_URL", file=sys.stderr)
        return 2
    api_key = os.environ.get("RECALLR_STUB_API_KEY", "rai_stub_key")
    project_id = os.environ.get("RECALLR_STUB_PROJECT_ID", "00000000-0000-4000-8000-000000000000")
    user_id = os.environ.get("RECALLR_STUB_USER", "user-0")
    try:
        import recallrai
    except ImportError:
        print("error: the official SDK is not installed: pip install recallrai==0.6.6", file=sys.stderr)
        return 2
    if recallrai.__version__ != "0.6.6":
        print(f"warning: checked against recallrai 0.6.6, found {recallrai.__version__}", file=sys.stderr)
    try:
        run(base_url, api_key, project_id, user_id)
    except Failure as failure:
        print(f"error: official SDK check failed: {failure}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - any SDK error is a failed check
        print(f"error: official SDK check failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print("official SDK conformance: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
