import time

import pytest

from etlfabric.db import platform_session
from etlfabric.errors import Conflict, Invalid, Unauthenticated
from etlfabric.services import users
from etlfabric.services.passwords import hash_password, verify_password
from tests.factories import make_user


async def authenticate(email, password):
    async with platform_session() as session:
        return await users.authenticate(session=session, email=email, password=password)


async def test_sign_in_with_the_right_password():
    user = await make_user(email="Mixed.Case@Example.com")
    assert (await authenticate("mixed.case@example.com", "correct horse battery")).id == user.id


async def test_unknown_email_and_wrong_password_answer_alike():
    await make_user(email="known@example.com")
    answers, timings = [], []
    for email in ("known@example.com", "nobody@example.com"):
        started = time.perf_counter()
        with pytest.raises(Unauthenticated) as caught:
            await authenticate(email, "wrong password!")
        timings.append(time.perf_counter() - started)
        answers.append(caught.value.message)
    assert answers[0] == answers[1] == users.BAD_CREDENTIALS
    assert min(timings) > 0.05, "both paths run bcrypt"


async def test_duplicate_email_conflicts_case_insensitively():
    await make_user(email="dup@example.com")
    with pytest.raises(Conflict) as caught:
        await make_user(email="DUP@example.com")
    assert caught.value.field == "email"


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("not-an-email", "long enough pw", "email"),
        ("ok@example.com", "short", "password"),
        ("ok@example.com", "x" * 129, "password"),
    ],
)
async def test_bad_input_names_the_field(email, password, field):
    with pytest.raises(Invalid) as caught:
        await make_user(email=email, password=password)
    assert caught.value.field == field


def test_long_passwords_keep_every_byte():
    hashed = hash_password("a" * 100 + "1")
    assert verify_password("a" * 100 + "1", hashed)
    assert not verify_password("a" * 100 + "2", hashed), "nothing cut at 72 bytes"
    assert hashed.startswith("$2b$12$")


async def test_ensure_admin_is_idempotent_and_never_reprints():
    async with platform_session() as session:
        admin, password = await users.ensure_admin(session=session, email="first@example.com")
    assert password and len(password) >= 16
    async with platform_session() as session:
        again, second = await users.ensure_admin(session=session, email="first@example.com")
        orgs = await users.memberships_of(session=session, user_id=admin.id)
    assert (again.id, second) == (admin.id, None)
    assert [(org.name, role) for org, role in orgs] == [("Default", "owner")]
    assert (await authenticate("first@example.com", password)).is_platform_admin
