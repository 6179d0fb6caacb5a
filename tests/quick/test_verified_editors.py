"""Who may verify answers in the page (issue 22): anyone without sign-in; with it, every signed-in user, or only
the users `verified.editors` lists."""

from __future__ import annotations

import pytest

from app.engine.verified.manage import check_may_verify, may_verify
from core.errors import AccessDeniedError
from core.settings import Settings


def settings(auth: bool, editors: list[str]) -> Settings:
    return Settings.model_validate({"auth": {"enabled": auth}, "verified": {"editors": editors}})


def test_without_sign_in_anyone_on_the_page_may_verify():
    assert may_verify(settings(False, ["alice"]), None)


def test_with_sign_in_every_user_or_only_the_listed_editors():
    assert may_verify(settings(True, []), "bob")
    assert may_verify(settings(True, ["alice"]), "alice")
    assert not may_verify(settings(True, ["alice"]), "bob")
    assert not may_verify(settings(True, []), None)  # nobody signed in
    with pytest.raises(AccessDeniedError, match="'bob' may not verify"):
        check_may_verify(settings(True, ["alice"]), "bob")
