#!/usr/bin/env python3
"""Drives every method of the official Python SDK (`recallrai` 0.6.6)
against a recallr-stub serving `seed.json` (beside this file), error paths
and the streamed context included. Every answer must decode in the SDK.

    python official_sdk_flow.py BASE_URL

The stub should run with short background work, as run.sh starts it:
`recallr-stub serve --data seed.json --processing-ms 200 --resolving-ms 200`.
Exits 1 with a message on the first failure.
"""

import sys
import time
import uuid
from datetime import datetime

API_KEY = "rai_stub_key"
PROJECT_ID = "00000000-0000-4000-8000-000000000000"
CONFLICT = "00000000-0000-4000-8000-0000000000c0"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def expect(error, label, call):
    try:
        call()
    except error:
        print(f"ok: {label} raises {error.__name__}")
        return
    except Exception as other:  # noqa: BLE001 - reported as a failure
        raise Failure(f"{label}: expected {error.__name__}, got {type(other).__name__}: {other}")
    raise Failure(f"{label}: expected {error.__name__}, got an answer")


def wait_for(label, condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise Failure(f"{label}: not reached in {seconds} s")


def run(base_url):
    from recallrai import RecallrAI
    from recallrai.exceptions import (
        AuthenticationError,
        InvalidCategoriesError,
        InvalidSessionStateError,
        MergeConflictAlreadyResolvedError,
        MergeConflictInvalidAnswerError,
        MergeConflictInvalidQuestionsError,
        MergeConflictNotFoundError,
        SessionNotFoundError,
        UserAlreadyExistsError,
        UserNotFoundError,
        ValidationError,
    )
    from recallrai.models import MergeConflictAnswer, MergeConflictStatus, MessageRole, SessionStatus

    client = RecallrAI(api_key=API_KEY, project_id=PROJECT_ID, base_url=base_url, timeout=30)
    name = f"sdk-{uuid.uuid4().hex[:8]}"

    # Users.
    user = client.create_user(name, metadata={"plan": "pro"})
    check(user.user_id == name and user.metadata == {"plan": "pro"}, f"create_user: {user!r}")
    expect(UserAlreadyExistsError, "create_user twice", lambda: client.create_user(name))
    check(client.get_user(name).user_id == name, "get_user")
    users = client.list_users(limit=100, metadata_filter={"plan": "pro"})
    check(any(u.user_id == name for u in users.users) and isinstance(users.total, int), "list_users")
    user.update(new_metadata={"plan": "team"}, new_user_id=name + "-2")
    check(user.user_id == name + "-2" and user.metadata == {"plan": "team"}, "update renames")
    expect(UserAlreadyExistsError, "rename onto another user", lambda: user.update(new_user_id="conflicted"))
    user.refresh()
    expect(UserNotFoundError, "get_user of the old id", lambda: client.get_user(name))
    expect(AuthenticationError, "a wrong API key",
           lambda: RecallrAI(api_key="rai_wrong", project_id=PROJECT_ID, base_url=base_url).get_user(name))
    print("ok: users create, conflict, get, list, rename, refresh")

    # Sessions and messages.
    session = user.create_session(auto_process_after_seconds=600, metadata={"topic": "food"})
    check(session.status == SessionStatus.PENDING, f"new session status {session.status}")
    session.add_message(MessageRole.USER, "I love ramen")
    session.add_message(MessageRole.ASSISTANT, "Noted")
    session.add_message(MessageRole.USER, "I live in Oslo")
    page = session.get_messages(offset=0, limit=2)
    check([m.content for m in page.messages] == ["I love ramen", "Noted"] and page.has_more and page.total == 3,
          f"get_messages: {page!r}")
    last = user.get_last_n_messages(2)
    check([m.content for m in last.messages] == ["Noted", "I live in Oslo"], f"get_last_n_messages: {last!r}")
    session.update(new_metadata={"topic": "travel"})
    session.refresh()
    check(user.get_session(session.session_id).session_id == session.session_id, "get_session")
    listed = user.list_sessions(limit=10, status_filter=[SessionStatus.PENDING])
    check(any(s.session_id == session.session_id for s in listed.sessions), "list_sessions")
    expect(SessionNotFoundError, "get_session of an unknown id", lambda: user.get_session(str(uuid.uuid4())))
    expect(ValidationError, "get_session of a malformed id", lambda: user.get_session("not-a-uuid"))
    print("ok: sessions create, add_message, get_messages, last messages, update, refresh, get, list")

    # Context, plain and streamed (the SDK fetches the system prompt itself).
    context = session.get_context(include_metadata_ids=True)
    check(context.context and "I live in Oslo" in context.context, f"get_context: {context!r}")
    events = list(session.get_context_stream(last_n_messages=2))
    check(len(events) >= 2 and events[-1].is_final and not any(e.is_final for e in events[:-1]),
          f"get_context_stream: {events!r}")
    print(f"ok: context plain and streamed ({len(events)} events, the last final)")

    # Processing and memories.
    session.process()
    expect(InvalidSessionStateError, "process twice", session.process)
    expect(InvalidSessionStateError, "add_message after process",
           lambda: session.add_message(MessageRole.USER, "too late"))

    def processed():
        session.refresh()
        return session.status == SessionStatus.PROCESSED

    wait_for("processed", processed)
    memories = user.list_memories(limit=20, session_id_filter=[session.session_id])
    check(memories.total == 2 and {m.content for m in memories.items} == {"I love ramen", "I live in Oslo"},
          f"list_memories: {memories!r}")
    expect(InvalidCategoriesError, "list_memories with an unknown category",
           lambda: user.list_memories(categories=["no-such-category"]))
    memory = user.get_memory(memories.items[0].memory_id)
    check(memory.memory_id == memories.items[0].memory_id, "get_memory")
    user.delete_memory(memory.memory_id)
    expect(Exception, "get_memory after delete", lambda: user.get_memory(memory.memory_id))
    print("ok: process, processed on the clock, memories derived, list/get/delete")

    # Merge conflicts (seeded by the data file).
    owner = client.get_user("conflicted")
    conflicts = owner.list_merge_conflicts(status=MergeConflictStatus.PENDING, sort_by="created_at", sort_order="asc")
    check(conflicts.total == 1 and conflicts.conflicts[0].conflict_id == CONFLICT, f"list_merge_conflicts: {conflicts!r}")
    both = owner.list_merge_conflicts(sort_order="asc")
    check(both.total == 2, f"list_merge_conflicts without a filter: {both!r}")
    conflict = owner.get_merge_conflict(CONFLICT)
    check(conflict.status == MergeConflictStatus.PENDING, f"get_merge_conflict: {conflict!r}")
    expect(MergeConflictNotFoundError, "get_merge_conflict of an unknown id",
           lambda: owner.get_merge_conflict(str(uuid.uuid4())))
    # SDK 0.6.6 sends the answers wrapped, {"answers": {"question_answers": [...]}},
    # as the effective spec's ResolveMergeConflictRequest says.
    expect(MergeConflictInvalidQuestionsError, "resolve with an unknown question",
           lambda: conflict.resolve([MergeConflictAnswer(question="Who are you?", answer="me")]))
    expect(MergeConflictInvalidAnswerError, "resolve with an answer not offered",
           lambda: conflict.resolve([MergeConflictAnswer(question="Where do you live now?", answer="Paris")]))
    conflict.resolve([MergeConflictAnswer(question="Where do you live now?", answer="Bergen")])
    check(conflict.status == MergeConflictStatus.IN_QUEUE, f"resolve: {conflict.status}")

    def resolved():
        conflict.refresh()
        return conflict.status == MergeConflictStatus.RESOLVED

    wait_for("resolved", resolved)
    check(conflict.resolved_at is not None, "resolved_at after resolving")
    expect(MergeConflictAlreadyResolvedError, "resolve twice",
           lambda: conflict.resolve([MergeConflictAnswer(question="Where do you live now?", answer="Oslo")]))
    print("ok: merge conflicts list, filter, sort, get, not found, resolve (wrapped answers), resolved on the clock")

    # A non-ASCII user id, and a session timer past any clock's range.
    wide = client.create_user("ünïcødé-用户")
    check(wide.user_id == "ünïcødé-用户" and wide.merge_conflict_enabled is None, f"non-ASCII user: {wide!r}")
    far = wide.create_session(auto_process_after_seconds=2**62)
    far.add_message(MessageRole.USER, "hello")
    check(wide.list_memories().total == 0, "memories of a non-ASCII user")
    check(wide.list_merge_conflicts().total == 0, "merge conflicts of a non-ASCII user")
    check(len(wide.get_last_n_messages(5).messages) == 1, "last messages of a non-ASCII user")
    far.refresh()
    check(far.status == SessionStatus.PENDING, f"a far timer never fires: {far.status}")
    wide.delete()
    print("ok: a non-ASCII user id with a far session timer, every route answered")

    # Deletes cascade.
    session.delete()
    expect(SessionNotFoundError, "get_session after delete", lambda: user.get_session(session.session_id))
    check(user.list_memories().total == 0, "the session's memories went with it")
    user.delete()
    expect(UserNotFoundError, "get_user after delete", lambda: client.get_user(user.user_id))
    print("ok: session and user deletes cascade")


def main(argv):
    if len(argv) < 2:
        print("error: pass the stub's base URL", file=sys.stderr)
        return 2
    try:
        run(argv[1])
    except Failure as failure:
        print(f"error: official SDK flow failed: {failure}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - any SDK error is a failed check
        print(f"error: official SDK flow failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print("official SDK flow: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
