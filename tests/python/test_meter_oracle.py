"""The meter oracle and its outbox against a real Anvil: batches land exactly once, also across crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from eth_utils.crypto import keccak
from web3 import Web3

from oracles.chain.anvil import rpc_call
from oracles.chain.client import ChainClient, hex_hash
from oracles.chain.errors import TxReverted
from oracles.chain.reads import CallFailed
from oracles.chain.signers import NodeSigner
from oracles.protocol.errors import ErrorDecoder
from oracles.protocol.meter_batches import day_batches
from oracles.reference import meter_signing
from oracles.reference.meter_leaf import Channel
from oracles.reference.meter_signing import MeterDomain
from tests.python.meter_chain import (
    OFFSET,
    REGION,
    Chain,
    N,
    daemon_args,
    day_csv,
    on_chain_ids,
    oracle_for,
    oracle_meter_args,
    outbox_counts,
    records,
)

# the module's tests share one deployed chain (meter_chain.chain): one pytest-xdist worker runs
# them all (`make test-python`, --dist loadgroup), rather than each worker deploying its own
pytestmark = pytest.mark.xdist_group("meter_oracle")


def test_flush__batches_land_and_roots_match_calldata(fresh: Chain, tmp_path: Path) -> None:
    oracle = oracle_for(fresh, tmp_path / "outbox.sqlite")
    assert oracle.enqueue(records(fresh.day, range(1, N + 1))) == N
    assert oracle.enqueue(records(fresh.day, range(1, N + 1))) == 0  # same consumer-days: no-op
    stats = oracle.flush()
    assert (stats.batches, stats.consumer_days) == (2, N)
    assert on_chain_ids(fresh) == list(range(1, N + 1))
    info = fresh.p.meter.functions.dayInfo(REGION, fresh.day).call()
    assert tuple(info) == (2, N, N)
    assert oracle.outbox.counts() == {"pending": 0, "sent": 0, "confirmed": N}
    assert oracle.flush().batches == 0  # nothing left: nothing sent twice


def test_restart_after_crash_between_submit_and_confirm__exactly_once(
    fresh: Chain, tmp_path: Path
) -> None:
    db = tmp_path / "outbox.sqlite"
    first = oracle_for(fresh, db)
    first.enqueue(records(fresh.day, range(1, N + 1)))
    rows = first.outbox.rows(REGION, fresh.day, "pending", channel=Channel.IMPORT)[:3]
    sent = first.client.submit(
        fresh.p.meter.functions.postBatch(REGION, fresh.day, b"".join(r for _, r, _ in rows)),
        "postBatch",
    )
    first.outbox.mark_sent(
        REGION, fresh.day, [c for c, _, _ in rows], hex_hash(sent.tx_hash), channel=Channel.IMPORT
    )
    first.outbox.close()  # the daemon dies here: submitted, never confirmed
    second = oracle_for(fresh, db)
    stats = second.flush()
    assert stats.confirmed_by_reconcile == 3 and stats.consumer_days == 3
    assert on_chain_ids(fresh) == list(range(1, N + 1))
    assert second.outbox.counts()["confirmed"] == N


def test_restart_after_crash_before_the_hash_was_recorded__found_in_calldata(
    fresh: Chain, tmp_path: Path
) -> None:
    db = tmp_path / "outbox.sqlite"
    first = oracle_for(fresh, db)
    first.enqueue(records(fresh.day, range(1, N + 1)))
    rows = first.outbox.rows(REGION, fresh.day, "pending", channel=Channel.IMPORT)[:4]
    first.client.transact(
        fresh.p.meter.functions.postBatch(REGION, fresh.day, b"".join(r for _, r, _ in rows)),
        "postBatch",
    )
    first.outbox.close()  # died after sending, before writing the hash
    second = oracle_for(fresh, db)
    stats = second.flush()
    assert stats.confirmed_by_reconcile == 4 and stats.consumer_days == 2
    assert on_chain_ids(fresh) == list(range(1, N + 1))


def test_left_out_rows_are_posted_later(fresh: Chain, tmp_path: Path) -> None:
    """M-4, M-8: rows that arrive after higher ids of their day were committed are posted in a
    batch of their own (batches of a day come in any order), never dropped."""
    oracle = oracle_for(fresh, tmp_path / "outbox.sqlite")
    oracle.enqueue(records(fresh.day, range(4, N + 1)))
    oracle.flush()
    oracle.enqueue(records(fresh.day, range(1, 4)))  # arrive after ids 4..6 were committed
    stats = oracle.flush()
    assert stats.rejected == 0 and stats.batches == 1 and stats.consumer_days == 3
    assert sorted(on_chain_ids(fresh)) == list(range(1, N + 1))


def test_day_not_ended_waits(fresh: Chain, tmp_path: Path) -> None:
    oracle = oracle_for(fresh, tmp_path / "outbox.sqlite")
    oracle.enqueue(records(fresh.day + 1, range(1, 3)))
    stats = oracle.flush()
    assert stats.waiting_days == [(REGION, fresh.day + 1)] and stats.batches == 0
    assert oracle.outbox.counts()["pending"] == 2


def test_revert_is_decoded_and_not_retried(fresh: Chain) -> None:
    client = ChainClient(
        fresh.w3, NodeSigner(fresh.w3.eth.accounts[3]), decoder=ErrorDecoder()
    )  # not a meter oracle
    with pytest.raises(TxReverted, match=r"AccessControlUnauthorizedAccount\(0x"):
        client.transact(
            fresh.p.meter.functions.postBatch(
                REGION, fresh.day, records(fresh.day, range(1, 2))[0].encode()
            ),
            "postBatch",
        )


def test_cli_oracle_meter__csv_to_chain_with_rejects(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from oracles.cli.main import main

    midnight = fresh.day * 86_400 - 60 * OFFSET
    bad = [
        f"unknown-meter,{datetime.fromtimestamp(midnight, tz=UTC).isoformat()},3600,5",
        "m0,garbage,3600,5",
    ]
    csv = day_csv(fresh, tmp_path / "in.csv", {"m0": 200, "m1": 300}, bad)
    code = main(oracle_meter_args(fresh, tmp_path, csv))
    assert code == 0
    assert "-> 2 consumer-days (2 new); posted 2 in 1 batches; 2 rejects" in capsys.readouterr().out
    batch = day_batches(fresh.p.meter, REGION, fresh.day)[0]
    assert [r.readings for r in batch.records] == [
        tuple(200 + h for h in range(24)),
        tuple(300 + h for h in range(24)),
    ]
    reasons = [
        json.loads(x)["reason"] for x in (tmp_path / "rejects.jsonl").read_text().splitlines()
    ]
    assert len(reasons) == 2 and "unknown meter 'unknown-meter'" in reasons[1]


def test_cli_oracle_meter__rejects_grouped__all_rejected_or_over_the_limit_exits_2(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 25 item 4: each one-shot run starts its own rejects file and sums its rejects up by
    reason; a run whose rows were all rejected exits 2, as does one over --max-rejects."""
    from oracles.cli.main import main

    (tmp_path / "rejects.jsonl").write_text('{"stale": "from an earlier run"}\n')
    garbage = tmp_path / "garbage.csv"
    garbage.write_text(
        "meter_id,interval_start,interval_seconds,wh\n"
        "m0,garbage,3600,5\nm1,2026-06-01T00:00:00,3600,5\nm2,2026-06-01T00:00:00,3600,5\n"
    )
    assert main(oracle_meter_args(fresh, tmp_path, garbage)) == 2
    out, err = capsys.readouterr()
    assert "  2 rejected: interval_start: a time without a UTC offset: write it with one" in out
    assert "  1 rejected: interval_start:" in out
    assert err.strip() == (
        f"gridbalance: error: {garbage}: every row rejected (3); see {tmp_path / 'rejects.jsonl'}"
    )
    assert len((tmp_path / "rejects.jsonl").read_text().splitlines()) == 3  # this run's only
    # good rows and one reject: fine by default, over a limit of 0
    csv = day_csv(fresh, tmp_path / "in.csv", {"m0": 200}, ["m0,garbage,3600,5"])
    assert main(oracle_meter_args(fresh, tmp_path, csv)) == 0
    assert main([*oracle_meter_args(fresh, tmp_path, csv), "--max-rejects", "0"]) == 2
    assert "more than --max-rejects 0 rejected (1)" in capsys.readouterr().err


def test_keystore_signer__signs_once_and_its_known_hash_is_the_mined_one(
    fresh: Chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eth_account import Account

    from oracles.chain.signers import KeystoreSigner

    account = Account.create()
    (tmp_path / "key.json").write_text(json.dumps(Account.encrypt(account.key, "pw", iterations=2)))
    monkeypatch.setenv("GRIDBALANCE_KEYSTORE_PASSWORD", "pw")
    signer = KeystoreSigner.from_file(tmp_path / "key.json")
    assert signer.address == account.address and "0x" + account.key.hex() not in repr(signer)
    rpc_call(fresh.anvil.url, "anvil_setBalance", [signer.address, hex(10**18)])
    signed: list[object] = []
    sign = signer._account.sign_transaction
    monkeypatch.setattr(
        signer._account, "sign_transaction", lambda tx: signed.append(tx) or sign(tx)
    )
    client = ChainClient(fresh.w3, signer)
    # any call data will do: a view function, sent as a transaction
    fn = fresh.p.regions.functions.regionExists(REGION)
    sent = client.submit(fn, "regionExists", gas=100_000)
    receipt = client.wait(sent)
    assert receipt["transactionHash"] == hex_hash(sent.tx_hash)
    assert len(signed) == 1  # the hash known before sending and the raw transaction: one signature


def test_call_many__same_values_as_web3_call(fresh: Chain, tmp_path: Path) -> None:
    oracle_for(fresh, tmp_path / "outbox.sqlite").enqueue(records(fresh.day, range(1, N + 1)))
    oracle_for(fresh, tmp_path / "outbox.sqlite").flush()
    client = ChainClient(fresh.w3, NodeSigner(fresh.oracle))
    accounts = [Web3.to_checksum_address(keccak(text=f"consumer-{i}")[12:]) for i in range(N)]
    consumers = fresh.p.consumers.functions
    meter = fresh.p.meter.functions
    cases = [
        (
            fresh.p.consumers,
            "consumer",
            [(a,) for a in accounts],
            lambda a: consumers.consumer(*a),
        ),  # struct
        (
            fresh.p.consumers,
            "accountOf",
            [(i,) for i in range(1, N + 1)],
            lambda a: consumers.accountOf(*a),
        ),  # address
        (
            fresh.p.meter,
            "dayInfo",
            [(REGION, fresh.day), (REGION, fresh.day + 1)],
            lambda a: meter.dayInfo(*a),
        ),
        (
            fresh.p.meter,
            "batchRoot",
            [(REGION, fresh.day, b) for b in range(3)],
            lambda a: meter.batchRoot(*a),
        ),
    ]
    for contract, name, arg_lists, web3_fn in cases:
        got = client.call_many(contract, name, arg_lists)
        assert got == [web3_fn(args).call() for args in arg_lists], name
    assert client.call_many(fresh.p.consumers, "consumer", []) == []


def test_call_many__revert__names_the_call(fresh: Chain) -> None:
    client = ChainClient(fresh.w3, NodeSigner(fresh.oracle))
    with pytest.raises(CallFailed, match=r"localDayStart\(999, 1\)") as info:
        client.call_many(fresh.p.regions, "localDayStart", [(REGION, 1), (999, 1)])
    assert info.value.data is not None and info.value.data.startswith("0x")


def _kill_9_while_first_batch_is_unconfirmed(c: Chain, args: list[str], db: Path) -> dict[str, int]:
    """Run the daemon as a real process on a chain that does not mine; SIGKILL it once its first
    batch is sent (hash recorded) and before any receipt exists. Returns the outbox's counts."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (db.exists() and outbox_counts(db)["sent"] > 0):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the daemon never sent its first batch"
            time.sleep(0.02)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    return outbox_counts(db)


@pytest.mark.parametrize("while_dead", ["batch mined", "batch dropped from the pool"])
def test_kill_9_between_submit_and_confirm__restart_posts_every_consumer_day_exactly_once(
    fresh: Chain, tmp_path: Path, while_dead: str
) -> None:
    url, db = fresh.anvil.url, tmp_path / "o.sqlite"
    args = daemon_args(fresh, tmp_path)
    rpc_call(url, "evm_setAutomine", [False])
    try:
        counts = _kill_9_while_first_batch_is_unconfirmed(fresh, args, db)
        assert counts == {"pending": N - 2, "sent": 2, "confirmed": 0}
        assert on_chain_ids(fresh) == []
        if while_dead == "batch mined":
            rpc_call(url, "evm_mine")  # the sent batch lands while its daemon is dead
            assert on_chain_ids(fresh) == [1, 2]
        else:
            rpc_call(url, "anvil_dropAllTransactions")  # ... or never lands
    finally:
        rpc_call(url, "evm_setAutomine", [True])
    restarted = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert restarted.returncode == 0, restarted.stderr
    assert on_chain_ids(fresh) == list(range(1, N + 1))  # every consumer-day once, in id order
    assert outbox_counts(db) == {"pending": 0, "sent": 0, "confirmed": N}
    info = fresh.p.meter.functions.dayInfo(REGION, fresh.day).call()
    assert tuple(info) == (3, N, N)  # batches, consumer-days, highest id: nothing posted twice


def test_no_key_material_in_logs_outbox_rejects_or_errors(
    fresh: Chain,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """K-3: a keystore-signed daemon run, with every library logging at DEBUG, then a run with a
    wrong password: neither the private key (hex or raw), the password nor the keystore's ciphertext
    appears in any log record, in stdout or stderr, in the outbox, or in the rejects file."""
    import logging

    from eth_account import Account

    from oracles.cli.main import main

    password, wrong = "pw-7f3a-secret", "pw-wrong-9c1e"
    account = Account.create()
    keystore = Account.encrypt(account.key, password, iterations=2)
    (tmp_path / "key.json").write_text(json.dumps(keystore))
    admin = ChainClient(fresh.w3, NodeSigner(fresh.w3.eth.accounts[0]))
    role = fresh.p.meter.functions.METER_ORACLE_ROLE().call()
    admin.transact(fresh.p.meter.functions.grantRole(role, account.address), "grantRole")
    rpc_call(fresh.anvil.url, "anvil_setBalance", [account.address, hex(10**18)])

    caplog.set_level(logging.DEBUG)
    args = oracle_meter_args(fresh, tmp_path, day_csv(fresh, tmp_path / "in.csv", {"m0": 200}, ["m0,garbage,3600,5"]))  # fmt: skip
    args[args.index("--account") : args.index("--account") + 2] = ["--keystore", str(tmp_path / "key.json"), "--log-level", "debug"]  # fmt: skip
    monkeypatch.setenv("GRIDBALANCE_KEYSTORE_PASSWORD", password)
    assert main(args) == 0
    monkeypatch.setenv("GRIDBALANCE_KEYSTORE_PASSWORD", wrong)
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert "wrong password" in err and len(err.strip().splitlines()) == 1
    assert len(day_batches(fresh.p.meter, REGION, fresh.day)) == 1  # the signed run did post

    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # DEBUG records were captured
    secrets = {
        "key hex": account.key.hex(),
        "key HEX": account.key.hex().upper(),
        "password": password,
        "wrong password": wrong,
        "ciphertext": keystore["crypto"]["ciphertext"],
    }
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name != "key.json"}
    assert {"o.sqlite", "rejects.jsonl"} <= set(files)
    for what, secret in secrets.items():
        for where, text in {"logs": logged, "stdout": out, "stderr": err}.items():
            assert secret.lower() not in text.lower(), f"{what} in {where}"
        for name, blob in files.items():
            assert secret.encode() not in blob and secret.lower().encode() not in blob.lower(), (
                f"{what} in {name}"
            )
            assert bytes(account.key) not in blob, f"raw key in {name}"


def test_cli_oracle_meter__unknown_region__one_line_and_nothing_queued(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad-input table, unknown region: refused before the file is read; no outbox, no rejects."""
    from oracles.cli.main import main

    args = oracle_meter_args(fresh, tmp_path, day_csv(fresh, tmp_path / "in.csv", {"m0": 200}))
    args[args.index("--region") + 1] = "9"
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith("region 9 is not registered on this chain") and "\n" not in err
    assert not (tmp_path / "o.sqlite").exists() and not (tmp_path / "rejects.jsonl").exists()


def test_cli_oracle_meter__meter_of_another_regions_consumer__rejected_not_posted(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad-input table, meter of another region: a registered meter whose consumer belongs to region
    2 is an unknown meter for region 1 (rejects file, with its line), and is never posted as
    region 1's data; the region-1 meter's day is posted."""
    from oracles.cli.main import main

    admin = ChainClient(fresh.w3, NodeSigner(fresh.w3.eth.accounts[0]))
    params = (10_000, 50_000, OFFSET, 8_000, 9_500, 4, 60)
    role = fresh.p.regions.functions.REGION_ADMIN_ROLE().call()
    admin.transact(fresh.p.regions.functions.grantRole(role, admin.address), "grantRole")
    admin.transact(fresh.p.regions.functions.addRegion(2, "Other", params), "addRegion")
    other = Web3.to_checksum_address(keccak(text="consumer-other")[12:])
    rpc_call(fresh.anvil.url, "anvil_setBalance", [other, hex(10**18)])
    ChainClient(fresh.w3, NodeSigner(other)).transact(
        fresh.p.consumers.functions.register(
            0, 2, keccak(text="m-other"), 1_000, 1, (0, 10, 2**24 - 1)
        ),
        "register",
    )
    admin.transact(
        fresh.p.consumers.functions.activate(other, b"\x01" * 32, b"\x02" * 32), "activate"
    )
    csv = day_csv(fresh, tmp_path / "in.csv", {"m0": 200, "m-other": 300})
    assert main(oracle_meter_args(fresh, tmp_path, csv)) == 0
    assert (
        "-> 1 consumer-days (1 new); posted 1 in 1 batches; 24 rejects" in capsys.readouterr().out
    )
    rejects = [json.loads(x) for x in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert {r["reason"] for r in rejects} == {
        "unknown meter 'm-other' (not registered in region 1)"
    }
    assert [r.consumer_id for r in day_batches(fresh.p.meter, REGION, fresh.day)[0].records] == [1]


def test_flush__signed_and_unsigned_records__separate_batches_read_back_with_signatures(
    fresh: Chain, tmp_path: Path
) -> None:
    """M-7: records that carry their meter's signature go out in postSignedBatch, unsigned ones in
    postBatch, never mixed; the keeper's reader gets every signature back from calldata and the roots
    match."""
    domain = MeterDomain(chain_id=fresh.w3.eth.chain_id, meter_data=fresh.p.meter.address)
    keys = {cid: meter_signing.meter_key(5, cid) for cid in (1, 2, 5, 6)}  # 3 and 4 sign nothing
    attester = ChainClient(fresh.w3, NodeSigner(fresh.w3.eth.accounts[0]))  # KYC_ATTESTER_ROLE
    for cid, key in keys.items():  # C-11: MeterData checks each signed record against this key
        account = fresh.p.consumers.functions.accountOf(cid).call()
        attester.transact(
            fresh.p.consumers.functions.setMeterKey(account, meter_signing.address_of(key), 0),
            "setMeterKey",
        )
    days = list(meter_signing.sign_days(domain, keys, records(fresh.day, range(1, N + 1))))
    oracle = oracle_for(fresh, tmp_path / "outbox.sqlite", batch_size=8)
    oracle.enqueue(days)
    stats = oracle.flush()
    assert (stats.batches, stats.consumer_days) == (
        3,
        N,
    )  # runs: 1-2 signed, 3-4 unsigned, 5-6 signed
    batches = day_batches(fresh.p.meter, REGION, fresh.day)
    assert [[r.consumer_id for r in b.records] for b in batches] == [[1, 2], [3, 4], [5, 6]]
    read = [r for b in batches for r in b.records]
    assert read == days
    for r in read:
        signer = meter_signing.recover(domain, r)
        if r.consumer_id in keys:
            assert signer == meter_signing.address_of(keys[r.consumer_id])
            assert fresh.p.meter.functions.recordSigner(r.encode()).call() == signer
        else:
            assert signer is None and r.signature is None


def test_flush__signature_the_chain_would_refuse__posted_unsigned_with_a_reject(
    fresh: Chain, tmp_path: Path
) -> None:
    """M-7: MeterData refuses a whole signed batch if one signature does not recover to its
    consumer's meter key for the day. The oracle checks first: consumer 3 has no key on chain and
    consumer 4's day was signed by another meter, so both go out unsigned (counting as missing in
    signed-data programs, S-10), each with a rejects line; 1 and 2 go out signed; nothing is lost."""
    domain = MeterDomain(chain_id=fresh.w3.eth.chain_id, meter_data=fresh.p.meter.address)
    attester = ChainClient(fresh.w3, NodeSigner(fresh.w3.eth.accounts[0]))
    for cid in (1, 2, 4):
        account = fresh.p.consumers.functions.accountOf(cid).call()
        key = meter_signing.address_of(meter_signing.meter_key(5, cid))
        attester.transact(fresh.p.consumers.functions.setMeterKey(account, key, 0), "setMeterKey")
    signing_keys = {cid: meter_signing.meter_key(5, cid) for cid in (1, 2, 3)}
    signing_keys[4] = meter_signing.meter_key(5, 9)  # not consumer 4's meter
    days = list(meter_signing.sign_days(domain, signing_keys, records(fresh.day, range(1, 5))))
    oracle = oracle_for(fresh, tmp_path / "outbox.sqlite", batch_size=8)
    oracle.enqueue(days)
    stats = oracle.flush()
    assert (stats.batches, stats.consumer_days, stats.rejected) == (2, 4, 2)
    batches = day_batches(fresh.p.meter, REGION, fresh.day)
    assert [[(r.consumer_id, r.signature is not None) for r in b.records] for b in batches] == [
        [(1, True), (2, True)],
        [(3, False), (4, False)],
    ]
    read = {r.consumer_id: r for b in batches for r in b.records}
    for d in days:  # the readings went out unchanged
        assert read[d.consumer_id] == (
            d if d.consumer_id <= 2 else d.model_copy(update={"signature": None})
        )
    rejects = [json.loads(x) for x in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [r["field"] for r in rejects] == [
        f"consumer 3 day {fresh.day}",
        f"consumer 4 day {fresh.day}",
    ]
    assert "no meter key for the day" in rejects[0]["reason"]
    assert "not signed by" in rejects[1]["reason"]
    assert oracle.outbox.counts() == {"pending": 0, "sent": 0, "confirmed": 4}


def test_flush__15_minute_region__signed_and_unsigned_records_land_and_read_back(
    fresh: Chain, tmp_path: Path
) -> None:
    """M-2, M-7, R-7: in a 15-minute region the oracle posts 398-byte records (463 signed) through
    the same outbox and batching: signed records in postSignedBatch, unsigned in postBatch; the
    keeper's reader decodes each batch by its records' interval and rebuilds every root."""
    from oracles.reference.meter_leaf import ConsumerDay, record_bytes

    admin = ChainClient(fresh.w3, NodeSigner(fresh.w3.eth.accounts[0]))
    region = 3
    params = (*tuple(fresh.p.regions.functions.region(REGION).call())[:-1], 15)
    admin.transact(fresh.p.regions.functions.addRegion(region, "Quarter", params), "addRegion")
    domain = MeterDomain(chain_id=fresh.w3.eth.chain_id, meter_data=fresh.p.meter.address)
    keys = {cid: meter_signing.meter_key(7, cid) for cid in (1, 2)}  # 3.. sign nothing
    for cid, key in keys.items():
        account = fresh.p.consumers.functions.accountOf(cid).call()
        admin.transact(
            fresh.p.consumers.functions.setMeterKey(account, meter_signing.address_of(key), 0),
            "setMeterKey",
        )
    plain = [
        ConsumerDay(interval_minutes=15, consumer_id=i, region_id=region, day=fresh.day,
                    readings=tuple(10 * i + q for q in range(96)))
        for i in range(1, N + 1)
    ]  # fmt: skip
    days = list(meter_signing.sign_days(domain, keys, plain))
    oracle = oracle_for(fresh, tmp_path / "outbox.sqlite", batch_size=8)
    oracle.enqueue(days)
    stats = oracle.flush()
    assert (stats.batches, stats.consumer_days) == (2, N)
    batches = day_batches(fresh.p.meter, region, fresh.day)
    assert [[r.consumer_id for r in b.records] for b in batches] == [[1, 2], list(range(3, N + 1))]
    assert [len(b.records[0].encode()) for b in batches] == [
        record_bytes(15, signed=True),
        record_bytes(15),
    ]
    assert [r for b in batches for r in b.records] == days
    assert fresh.p.meter.functions.recordSigner(days[0].encode()).call() == (
        meter_signing.address_of(keys[1])
    )


def test_cli_oracle_meter__day_before_activation__rejected_with_its_dates(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad-input table, a date before the consumer's activation (M-6: settlement never reads it): a
    rejects line naming both dates, nothing posted, exit 2 since nothing of the file was taken."""
    from dataclasses import replace
    from datetime import date, timedelta

    from oracles.cli.main import main

    before = replace(fresh, day=fresh.day - 1)
    csv = day_csv(before, tmp_path / "early.csv", {"m0": 200})
    (tmp_path / "part.csv").write_text("\n".join(csv.read_text().splitlines()[:3]) + "\n")
    # an incomplete day before activation: only the activation reject, not "posted flagged missing"
    assert main(oracle_meter_args(fresh, tmp_path, tmp_path / "part.csv")) == 2
    part = [json.loads(x) for x in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [r["reason"].split(" (")[0] for r in part] == [
        f"{(date(1970, 1, 1) + timedelta(days=before.day)).isoformat()} is before the consumer's activation on "
        f"{(date(1970, 1, 1) + timedelta(days=fresh.day)).isoformat()}"
    ]
    capsys.readouterr()
    assert main(oracle_meter_args(fresh, tmp_path, csv)) == 2
    out, err = capsys.readouterr()
    assert "-> 0 consumer-days (0 new); posted 0 in 0 batches; 1 rejects" in out
    rejects = [json.loads(x) for x in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    day_of = (date(1970, 1, 1) + timedelta(days=before.day)).isoformat()
    activated = (date(1970, 1, 1) + timedelta(days=fresh.day)).isoformat()
    assert rejects == [{
        "source": str(csv), "line": 0, "field": f"consumer 1 day {before.day}",
        "reason": f"{day_of} is before the consumer's activation on {activated} (M-6): "
        "settlement never reads it; not posted",
    }]  # fmt: skip
    assert err.strip().endswith("every row rejected (1); see " + str(tmp_path / "rejects.jsonl"))
    assert fresh.p.meter.functions.dayInfo(REGION, before.day).call()[0] == 0  # no batch


def test_cli_oracle_meter__corrected_re_post__queued_replaced_posted_refused(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 25 item 4: a corrected re-post of a day is reported, never silently ignored. Before it
    is sent, the queued record is replaced; once the day is on chain, the correction is a reject
    (M-4: a posted record cannot be corrected), on the same outbox and on a fresh one."""
    from oracles.agents.outbox import Outbox
    from oracles.reference.meter_leaf import ConsumerDay

    oracle = oracle_for(fresh, tmp_path / "outbox.sqlite")
    first = records(fresh.day, range(1, 3))
    assert oracle.enqueue_checked(first).new == 2
    fixed = [d.model_copy(update={"readings": tuple(v + 7 for v in d.readings)}) for d in first]
    done = oracle.enqueue_checked([fixed[0], first[1]])
    assert (done.new, done.unchanged, done.corrected, done.refused) == (0, 1, 1, 0)
    oracle.flush()
    posted = day_batches(fresh.p.meter, REGION, fresh.day)[0].records
    assert [r.readings for r in posted] == [fixed[0].readings, first[1].readings]
    # posted: a correction of it is refused, with a rejects line naming the day and the tx
    again = oracle.enqueue_checked([first[0]], "fix.csv")
    assert (again.new, again.unchanged, again.corrected, again.refused) == (0, 0, 0, 1)
    line = json.loads((tmp_path / "rejects.jsonl").read_text().splitlines()[-1])
    assert line["source"] == "fix.csv" and line["field"] == f"consumer 1 day {fresh.day}"
    assert line["reason"].startswith("corrected re-post of a day already posted (tx 0x")
    assert oracle.flush().batches == 0
    # a fresh outbox (another machine) holding other readings: found on chain, reported, and the
    # chain's record is what the outbox keeps
    other = oracle_for(fresh, tmp_path / "other" / "outbox.sqlite")
    assert other.enqueue_checked([first[0]]).new == 1
    stats = other.flush()
    assert (stats.batches, stats.rejected) == (0, 1)
    reason = json.loads((tmp_path / "other" / "rejects.jsonl").read_text())["reason"]
    assert reason.startswith("the chain holds other readings of this day (tx 0x")
    kept = Outbox(tmp_path / "other" / "outbox.sqlite").rows(
        REGION, fresh.day, "confirmed", channel=Channel.IMPORT
    )
    assert [ConsumerDay.decode(r).readings for _, r, _ in kept] == [fixed[0].readings]


def test_cli_daemon_without_account__role_no_node_account_holds__one_line_naming_it(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 25 item 2: without --account a daemon signs as the node account holding its role; the
    fixture's chain gives KEEPER_ROLE to no one, so the keeper says which role it needs."""
    from oracles.cli.main import main

    manifest = tmp_path / "manifest.json"
    fresh.p.manifest.save(manifest)
    assert main(["keeper", "--rpc", fresh.anvil.url, "--manifest", str(manifest)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "gridbalance: error: no node account can send this: it needs ReductionRequests.KEEPER_ROLE, "
        "held by no one; pass --account or --keystore"
    )
    # the meter oracle finds its role's holder (node account 2) without --account
    args = oracle_meter_args(fresh, tmp_path, day_csv(fresh, tmp_path / "in.csv", {"m0": 200}))
    del args[args.index("--account") : args.index("--account") + 2]
    assert main(args) == 0
    assert "posted 1 in 1 batches" in capsys.readouterr().out
