"""Optional sign-in: password hashes, private conversations per user, and private knowledge bases that the
answering side refuses to anyone but their owner (not only hidden in the page). The service is the real one
(FastAPI + Gradio on 127.0.0.1) and the users sign in through gradio_client like a browser does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AuthenticationError

from app.engine.workspace import Workspace
from app.web.auth import Authenticator, hash_password, verify_password
from core.errors import AccessDeniedError, ConfigError
from core.kb import open_kb
from core.settings import AuthSettings, Settings, load_settings
from ingest.pipeline import ingest_paths
from tests.conftest import TEST_CONFIG, pdf_with_pages
from tests.web import service_in_thread

PASSWORDS = {"alice": "correct horse 电池", "bob": "hunter2-hunter2"}


def test_a_password_is_stored_only_as_a_salted_scrypt_hash():
    stored = hash_password("s3cret-泵")
    assert stored.startswith("scrypt$") and "s3cret" not in stored
    assert verify_password("s3cret-泵", stored) and not verify_password("s3cret-泵 ", stored)
    assert hash_password("s3cret-泵") != stored  # salted: the same password never hashes the same way twice
    assert not verify_password("s3cret-泵", "plain-text") and not verify_password("x", "md5$ab$cd$ef$00$11")


def test_the_hash_password_command_prints_a_hash_that_signs_in():
    done = subprocess.run(
        [sys.executable, "-m", "app", "hash-password"], input="pump-room-42\n", capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert verify_password("pump-room-42", done.stdout.strip())


def test_users_must_be_given_as_hashes_not_passwords():
    with pytest.raises(ConfigError, match=r"auth\.users is empty"):
        Authenticator(AuthSettings(enabled=True))
    with pytest.raises(ConfigError, match="bob: give a hash"):
        Authenticator(AuthSettings(enabled=True, users={"alice": hash_password("a"), "bob": "hunter2"}))
    check = Authenticator(AuthSettings(enabled=True, users={"alice": hash_password("a")}))
    assert check("alice", "a") and not check("alice", "b") and not check("mallory", "a")


def signed_in_settings(data_dir: Path) -> Settings:
    settings = load_settings(TEST_CONFIG, data_dir=str(data_dir))
    settings.auth = AuthSettings(enabled=True, users={name: hash_password(pw) for name, pw in PASSWORDS.items()})
    return settings


def test_a_private_knowledge_base_is_refused_to_other_users_by_the_answering_side(tmp_path: Path):
    settings = signed_in_settings(tmp_path)
    services = Workspace(settings)
    services.create("alice-notes", "alice", private=True)
    services.create("shared-cards", "alice", private=False)
    assert services.get("alice-notes", "alice").kb.name == "alice-notes"
    for user in ("bob", None):
        with pytest.raises(AccessDeniedError, match="private to another user"):
            services.get("alice-notes", user)
        assert "alice-notes" not in services.names(user) and "shared-cards" in services.names(user)
    assert services.create("alice-notes", "alice", private=False).kb.info().private  # the owner's choice stays
    settings.auth.enabled = False  # sign-in off: no users, so nothing is private
    assert "alice-notes" in Workspace(settings).names()


def test_an_existing_shared_knowledge_base_is_not_taken_over(tmp_path: Path):
    settings = signed_in_settings(tmp_path)
    open_kb(settings, "cards")  # made by the CLI: nobody's
    services = Workspace(settings)
    assert services.create("cards", "bob", private=True).kb.info().owner == ""
    assert "cards" in services.names("alice")


@pytest.fixture(scope="module")
def signed_in_url(tmp_path_factory: pytest.TempPathFactory, docs_dir: Path) -> Iterator[str]:
    settings = signed_in_settings(tmp_path_factory.mktemp("signin"))
    ingest_paths(open_kb(settings), [str(docs_dir / "pump_manual.pdf")], settings.ingest, 32)
    with service_in_thread(settings) as url:
        yield url + "/en/"


def client(url: str, user: str) -> Client:
    return Client(url, auth=(user, PASSWORDS[user]), verbose=False)


def test_the_page_needs_a_valid_sign_in(signed_in_url: str):
    with pytest.raises(ValueError, match="Could not login"):
        Client(signed_in_url, auth=("alice", "wrong"), verbose=False)
    with pytest.raises(AuthenticationError):  # no sign-in: not even the page's configuration is served
        Client(signed_in_url, verbose=False)


def test_signed_in_users_keep_their_own_conversations_and_private_knowledge_bases(signed_in_url: str, tmp_path: Path):
    alice = client(signed_in_url, "alice")
    _, _, listed, _ = alice.predict("What must the impeller clearance be?", api_name="/chat")
    first = listed["value"]
    again = client(signed_in_url, "alice")  # another browser, same user: her conversations follow her
    _, _, listed, _ = again.predict(api_name="/new_chat")
    assert [c[1] for c in listed["choices"]] == [first]
    bob = client(signed_in_url, "bob")
    _, _, listed, _ = bob.predict(api_name="/new_chat")
    assert listed["choices"] == []

    status, picker, *_ = alice.predict("alice-notes", True, api_name="/create_kb")
    assert status == "" and picker["value"] == "alice-notes"
    pdf = pdf_with_pages(tmp_path / "salary.pdf", ["Pump P-7 overhaul budget: 41,800 yuan, approved by Alice."])
    status, *_ = alice.predict([handle_file(str(pdf))], api_name="/upload")
    assert "salary.pdf — ingested" in status
    reply = alice.predict("What is the P-7 overhaul budget?", api_name="/chat")[0][-1]["content"][0]["text"]
    assert "salary.pdf · p.1" in reply

    status, picker, *_ = bob.predict("alice-notes", False, api_name="/create_kb")
    assert "private to another user" in status and picker["value"] == "default"
    assert "alice-notes" not in [c[1] for c in picker["choices"]]
    reply = bob.predict("What is the P-7 overhaul budget?", api_name="/chat")[0][-1]["content"][0]["text"]
    assert "salary.pdf" not in reply and "41,800" not in reply
    documents, *_ = bob.predict(api_name="/documents")
    assert "salary.pdf" not in [row[0] for row in documents["data"]]
