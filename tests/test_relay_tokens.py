"""Device tokens: stored only as hashes, revocable, never logged; the token CLI."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from websockets.exceptions import InvalidStatus

from goalsync.protocol.docid import new_document_id
from goalsync.protocol.messages import Peer
from goalsync.relay import TokenError, TokenStore
from goalsync.repo.client import sync_once
from goalsync.storage import DocumentStore, MemoryChunkStore
from helpers.relay_peers import new_doc, open_peer, team_relay


def test_tokens_are_stored_as_hashes_in_private_files(tmp_path: Path) -> None:
    tokens = TokenStore(tmp_path / "relay")
    secret = tokens.add("laptop", "acme")
    assert len(secret) >= 40
    text = (tmp_path / "relay" / "tokens.json").read_text()
    assert secret not in text and "laptop" in text
    assert stat.S_IMODE((tmp_path / "relay" / "tokens.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "relay").stat().st_mode) == 0o700
    entry = tokens.verify(secret)
    assert entry is not None and (entry.name, entry.team, entry.revoked) == (
        "laptop",
        "acme",
        False,
    )
    assert tokens.verify(secret + "x") is None and tokens.verify("") is None


def test_revoke_is_seen_by_another_store_on_the_same_file(tmp_path: Path) -> None:
    relay_side, cli_side = TokenStore(tmp_path), TokenStore(tmp_path)
    secret = cli_side.add("phone", "acme")
    assert relay_side.verify(secret) is not None
    assert cli_side.revoke("phone").revoked
    assert relay_side.verify(secret) is None
    assert [(e.name, e.revoked) for e in relay_side.list()] == [("phone", True)]


@pytest.mark.parametrize(("name", "team"), [("bad name", "acme"), ("ok", ""), ("-x", "acme")])
def test_bad_names_are_refused(tmp_path: Path, name: str, team: str) -> None:
    with pytest.raises(TokenError, match="not valid"):
        TokenStore(tmp_path).add(name, team)


def test_duplicate_and_unknown_names_are_refused(tmp_path: Path) -> None:
    tokens = TokenStore(tmp_path)
    tokens.add("laptop", "acme")
    with pytest.raises(TokenError, match="already exists"):
        tokens.add("laptop", "other")
    with pytest.raises(TokenError, match="no token named"):
        tokens.revoke("tablet")


def _cli(*args: str) -> tuple[int, str]:
    from goaltui.cli import commands  # noqa: F401  (registers the commands)
    from goaltui.cli.app import cli

    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_token_cli_add_list_revoke(tmp_path: Path) -> None:
    d = str(tmp_path / "relaydata")
    code, out = _cli("relay", "token", "add", "dana-laptop", "--team", "acme", "--data-dir", d)
    assert code == 0
    secret = out.strip().splitlines()[-1]
    assert TokenStore(tmp_path / "relaydata" / "relay").verify(secret) is not None
    code, out = _cli("--data-dir", d, "relay", "token", "list", "--json")  # the global option
    assert code == 0 and secret not in out
    assert json.loads(out)[0] == {**json.loads(out)[0], "name": "dana-laptop", "status": "active"}
    code, out = _cli("relay", "--data-dir", d, "token", "revoke", "dana-laptop")
    assert code == 0 and "revoked" in out
    assert TokenStore(tmp_path / "relaydata" / "relay").verify(secret) is None
    code, out = _cli("relay", "token", "revoke", "nobody", "--data-dir", d)
    assert code == 1 and out.startswith("Error: no token named 'nobody'")
    assert "Traceback" not in out


def test_every_relay_command_has_help_with_an_example() -> None:
    for args in (
        ["relay"],
        ["relay", "token"],
        *(["relay", "token", c] for c in ("add", "list", "revoke")),
    ):
        code, out = _cli(*args, "--help")
        assert code == 0 and "Example: goaltui relay" in out


async def test_tokens_never_reach_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="goalsync.relay.websockets")  # the CLI quiets it
    tokens = TokenStore(tmp_path / "relay")
    secret, revoked = tokens.add("laptop", "acme"), tokens.add("old", "acme")
    tokens.revoke("old")
    doc_id = new_document_id()
    store = DocumentStore(MemoryChunkStore())
    store.append(doc_id, new_doc(title="x"), [], set())
    async with team_relay(tmp_path) as relay:
        assert (await sync_once(relay.url, store, [doc_id], token=secret)).synced == [doc_id]
        peer = await open_peer(f"{relay.url}/?token={secret}", "by-query")
        assert isinstance(await peer.join(), Peer)
        await peer.ws.close()
        for bad in (revoked, secret + "wrong"):
            with pytest.raises(InvalidStatus):
                await open_peer(f"{relay.url}/sync?token={bad}", "bad-query")
            with pytest.raises(InvalidStatus):
                await open_peer(relay.url, "bad-header", token=bad)
    ours = [r for r in caplog.records if r.name.startswith("goalsync.relay")]
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in ours)
    assert "< GET /sync?token=" in logged  # the request lines were logged at DEBUG ...
    assert "Authorization: Bearer" in logged
    for text in (secret, revoked, secret + "wrong"):
        assert text not in logged  # ... without the tokens
