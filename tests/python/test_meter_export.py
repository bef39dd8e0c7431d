"""The meter oracle's export channel (issue 23) against a real Anvil: export days from Green Button
(``flowDirection`` 19) and from the CSV ``channel`` column reach MeterData as export records (M-2),
each channel in batches of its own, reconciled per channel (M-4: one record per consumer-day and
channel), exactly once across re-runs and crashes, signed too (M-7); and an outbox written before the
channels came is migrated, keeping every row."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from oracles.agents.outbox import Outbox
from oracles.chain.client import ChainClient
from oracles.chain.signers import NodeSigner
from oracles.cli.main import main
from oracles.protocol.meter_batches import day_batches
from oracles.reference import meter_signing
from oracles.reference.meter_leaf import Channel, ConsumerDay, record_bytes
from oracles.reference.meter_signing import MeterDomain
from tests.python.meter_chain import (
    OFFSET,
    REGION,
    Chain,
    N,
    daemon_args,
    oracle_for,
    oracle_meter_args,
    outbox_counts,
)
from tests.python.test_watch import wait_for

# one deployed chain for the module (meter_chain.chain), on one pytest-xdist worker
pytestmark = pytest.mark.xdist_group("meter_export")


def _posted(c: Chain, consumer: int, channel: Channel) -> bool:
    return bool(
        c.p.meter.functions.channelRecordPosted(REGION, c.day, int(channel), consumer).call()
    )


def _batches(c: Chain) -> list[tuple[Channel, list[int], list[tuple[int, ...]]]]:
    """Each batch of the day: its channel, its consumer ids and readings (from calldata)."""
    return [
        (b.records[0].channel, [r.consumer_id for r in b.records], [r.readings for r in b.records])
        for b in day_batches(c.p.meter, REGION, c.day)
    ]


def _green_button(c: Chain, path: Path, blocks: list[tuple[int, int]]) -> Path:
    """A Green Button feed of meter ``m0`` for the fixture's day: one ReadingType (flowDirection)
    and IntervalBlock of 24 hourly readings ``wh + h`` per ``(flow, wh)``."""
    midnight = c.day * 86_400 - 60 * OFFSET

    def block(flow: int, wh: int) -> str:
        body = "".join(
            f"<IntervalReading><timePeriod><duration>3600</duration><start>{midnight + 3600 * h}"
            f"</start></timePeriod><value>{wh + h}</value></IntervalReading>"
            for h in range(24)
        )
        return (f'<entry><content><ReadingType xmlns="http://naesb.org/espi"><flowDirection>{flow}'
                "</flowDirection><uom>72</uom></ReadingType></content></entry><entry><content>"
                f'<IntervalBlock xmlns="http://naesb.org/espi">{body}</IntervalBlock></content></entry>')  # fmt: skip

    path.write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>m0</title><content>'
        '<UsagePoint xmlns="http://naesb.org/espi"/></content></entry>'
        + "".join(block(f, wh) for f, wh in blocks) + "</feed>"
    )  # fmt: skip
    return path


def _channel_csv(c: Chain, path: Path, rows: dict[tuple[str, str], int]) -> Path:
    """A meter CSV with the ``channel`` column: ``rows[(meter, channel)]`` is the day's base Wh
    (hour ``h`` reads base + h); channel ``""`` leaves the cell empty (import)."""
    midnight = c.day * 86_400 - 60 * OFFSET
    lines = ["meter_id,interval_start,interval_seconds,wh,channel"]
    for h in range(24):
        start = datetime.fromtimestamp(midnight + 3600 * h, tz=UTC).isoformat()
        lines += [f"{m},{start},3600,{base + h},{ch}" for (m, ch), base in rows.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _green_button_args(c: Chain, tmp_path: Path, feed: Path) -> list[str]:
    args = oracle_meter_args(c, tmp_path, feed)
    args[args.index("--csv")] = "--green-button"
    return args


def test_cli_green_button__export_block_only__an_export_record_and_no_import(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = _green_button(fresh, tmp_path / "gb.xml", [(19, 40)])
    assert main(_green_button_args(fresh, tmp_path, feed)) == 0
    assert "24 readings -> 1 consumer-days (1 new); posted 1 in 1 batches; 0 rejects" in (
        capsys.readouterr().out
    )
    assert _batches(fresh) == [(Channel.EXPORT, [1], [tuple(40 + h for h in range(24))])]
    assert _posted(fresh, 1, Channel.EXPORT) and not _posted(fresh, 1, Channel.IMPORT)
    (batch,) = day_batches(fresh.p.meter, REGION, fresh.day)
    assert batch.records[0].encode()[2] == 1  # header byte 2: the export channel (M-2)


def test_cli_green_button__import_and_export_blocks__two_batches__rerun_posts_nothing(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mixed file: the forward (1) block is the import record, the reverse (19) block the export
    record of the same consumer-day, each in a batch of its own channel; the same file again posts
    nothing."""
    feed = _green_button(fresh, tmp_path / "gb.xml", [(1, 500), (19, 40)])
    args = _green_button_args(fresh, tmp_path, feed)
    assert main(args) == 0
    assert "48 readings -> 2 consumer-days (2 new); posted 2 in 2 batches; 0 rejects" in (
        capsys.readouterr().out
    )
    assert _batches(fresh) == [
        (Channel.IMPORT, [1], [tuple(500 + h for h in range(24))]),
        (Channel.EXPORT, [1], [tuple(40 + h for h in range(24))]),
    ]
    assert _posted(fresh, 1, Channel.IMPORT) and _posted(fresh, 1, Channel.EXPORT)
    assert not _posted(fresh, 2, Channel.EXPORT)
    assert main(args) == 0
    assert "-> 2 consumer-days (0 new); posted 0 in 0 batches" in capsys.readouterr().out
    assert len(_batches(fresh)) == 2
    assert outbox_counts(tmp_path / "o.sqlite") == {"pending": 0, "sent": 0, "confirmed": 2}


def test_cli_csv__channel_column__export_rows_posted_as_export_records(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CSV's ``channel`` column: ``export`` rows make export records, ``import`` and empty cells
    import records; one batch per channel; a meter that exports nothing has no export record."""
    csv = _channel_csv(fresh, tmp_path / "in.csv", {
        ("m0", "import"): 200, ("m0", "export"): 7, ("m1", ""): 300, ("m2", "EXPORT"): 9,
    })  # fmt: skip
    args = oracle_meter_args(fresh, tmp_path, csv)
    assert main(args) == 0
    assert "96 readings -> 4 consumer-days (4 new); posted 4 in 2 batches; 0 rejects" in (
        capsys.readouterr().out
    )
    assert _batches(fresh) == [
        (Channel.IMPORT, [1, 2], [tuple(200 + h for h in range(24)), tuple(300 + h for h in range(24))]),
        (Channel.EXPORT, [1, 3], [tuple(7 + h for h in range(24)), tuple(9 + h for h in range(24))]),
    ]  # fmt: skip
    posted = {(cid, ch): _posted(fresh, cid, ch) for cid in (1, 2, 3) for ch in Channel}
    assert posted == {
        (1, Channel.IMPORT): True, (1, Channel.EXPORT): True,
        (2, Channel.IMPORT): True, (2, Channel.EXPORT): False,
        (3, Channel.IMPORT): False, (3, Channel.EXPORT): True,
    }  # fmt: skip
    assert main(args) == 0  # the same file again
    assert "posted 0 in 0 batches" in capsys.readouterr().out
    assert len(_batches(fresh)) == 2


def test_cli_csv__bad_channel__rejected_with_line_and_field(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = _channel_csv(fresh, tmp_path / "in.csv", {("m0", "import"): 200, ("m1", "net"): 5})
    assert main(oracle_meter_args(fresh, tmp_path, csv)) == 0
    assert "24 rejects" in capsys.readouterr().out
    lines = (tmp_path / "rejects.jsonl").read_text().splitlines()
    assert len(lines) == 24 and all('"field": "channel"' in x for x in lines)
    assert '"reason": "Value error, must be import or export"' in lines[0]
    assert _batches(fresh) == [(Channel.IMPORT, [1], [tuple(200 + h for h in range(24))])]


def _days(day: int, ids: range, channel: Channel, base: int = 0) -> list[ConsumerDay]:
    return [
        ConsumerDay(consumer_id=i, region_id=REGION, day=day, channel=channel,
                    readings=tuple(base + 10 * i + h for h in range(24)))
        for i in ids
    ]  # fmt: skip


def test_flush__crash_after_an_export_batch_before_its_hash__reconciled_on_its_channel(
    fresh: Chain, tmp_path: Path
) -> None:
    """M-4 per channel: an export batch of ids 1..3 went out but the daemon died before recording
    it. The restarted oracle finds those export records in the day's calldata and confirms them; the
    import rows 1..3 (behind the day's last id 3, but not on chain on their channel) are posted, not
    taken for posted: every consumer-day lands once on each channel, no RecordAlreadyPosted."""
    db = tmp_path / "outbox.sqlite"
    first = oracle_for(fresh, db, batch_size=8)
    first.enqueue(_days(fresh.day, range(1, N + 1), Channel.IMPORT, 1_000))
    first.enqueue(_days(fresh.day, range(1, N + 1), Channel.EXPORT))
    rows = first.outbox.rows(REGION, fresh.day, "pending", channel=Channel.EXPORT)[:3]
    first.client.transact(
        fresh.p.meter.functions.postBatch(REGION, fresh.day, b"".join(r for _, r, _ in rows)),
        "postBatch",
    )
    first.outbox.close()  # died after sending, before writing the hash
    second = oracle_for(fresh, db, batch_size=8)
    stats = second.flush()
    assert (stats.confirmed_by_reconcile, stats.consumer_days, stats.batches) == (3, N + 3, 2)
    got = sorted((ch, ids) for ch, ids, _ in _batches(fresh))
    assert got == sorted([(Channel.EXPORT, [1, 2, 3]), (Channel.IMPORT, list(range(1, N + 1))),
                          (Channel.EXPORT, [4, 5, 6])])  # fmt: skip
    assert all(_posted(fresh, c, ch) for c in range(1, N + 1) for ch in Channel)
    assert second.outbox.counts() == {"pending": 0, "sent": 0, "confirmed": 2 * N}
    assert second.flush().batches == 0


def test_flush__signed_export_records__postSignedBatch__signature_recovers_to_the_meter(
    fresh: Chain, tmp_path: Path
) -> None:
    """M-7 for export: the meter's signature covers the header's channel byte; the oracle checks it
    against the consumer's meter key as for import and posts signed export records with
    postSignedBatch, apart from the unsigned ones."""
    domain = MeterDomain(chain_id=fresh.w3.eth.chain_id, meter_data=fresh.p.meter.address)
    keys = {cid: meter_signing.meter_key(11, cid) for cid in (1, 2)}
    attester = ChainClient(fresh.w3, NodeSigner(fresh.w3.eth.accounts[0]))  # KYC_ATTESTER_ROLE
    for cid, key in keys.items():
        account = fresh.p.consumers.functions.accountOf(cid).call()
        attester.transact(
            fresh.p.consumers.functions.setMeterKey(account, meter_signing.address_of(key), 0),
            "setMeterKey",
        )
    days = list(
        meter_signing.sign_days(domain, keys, _days(fresh.day, range(1, 4), Channel.EXPORT))
    )
    oracle = oracle_for(fresh, tmp_path / "outbox.sqlite", batch_size=8)
    oracle.enqueue(days)
    stats = oracle.flush()
    assert (stats.batches, stats.consumer_days, stats.rejected) == (2, 3, 0)
    batches = day_batches(fresh.p.meter, REGION, fresh.day)
    assert [[r.consumer_id for r in b.records] for b in batches] == [[1, 2], [3]]
    assert [len(b.records[0].encode()) for b in batches] == [record_bytes(60, signed=True),
                                                              record_bytes(60)]  # fmt: skip
    assert [r for b in batches for r in b.records] == days
    for r in days[:2]:
        assert fresh.p.meter.functions.recordSigner(r.encode()).call() == (
            meter_signing.address_of(keys[r.consumer_id])
        )
    assert all(_posted(fresh, c, Channel.EXPORT) for c in (1, 2, 3))
    assert not any(_posted(fresh, c, Channel.IMPORT) for c in (1, 2, 3))


def test_meter_watch__export_rows_of_the_inbox_posted_as_export_records(
    fresh: Chain, tmp_path: Path
) -> None:
    """``--watch``: a CSV dropped in the inbox with import and export rows is posted as both
    channels' records, one batch each, and a later file adds the rest."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    args = daemon_args(fresh, tmp_path)
    args[args.index("--csv") + 1] = str(inbox)
    args += ["--watch", "--poll-seconds", "0.2", "--index", str(tmp_path / "index.sqlite")]
    log = (tmp_path / "daemon.log").open("wb")
    proc = subprocess.Popen(args, stderr=log, stdout=subprocess.DEVNULL)
    try:
        _channel_csv(fresh, inbox / "a.csv", {("m0", "import"): 100, ("m0", "export"): 3})
        wait_for("the first file posted",
                 lambda: outbox_counts(tmp_path / "o.sqlite")["confirmed"] == 2, proc)  # fmt: skip
        _channel_csv(fresh, inbox / "b.csv", {("m1", "export"): 4})
        wait_for("the second file posted",
                 lambda: outbox_counts(tmp_path / "o.sqlite")["confirmed"] == 3, proc)  # fmt: skip
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    assert [(ch, ids) for ch, ids, _ in _batches(fresh)] == [
        (Channel.IMPORT, [1]), (Channel.EXPORT, [1]), (Channel.EXPORT, [2]),
    ]  # fmt: skip
    assert _posted(fresh, 2, Channel.EXPORT) and not _posted(fresh, 2, Channel.IMPORT)


# ------------------------------------------------------------------ outbox migration (no chain)

OLD_SCHEMA = """
CREATE TABLE meter (
    region   INTEGER NOT NULL,
    day      INTEGER NOT NULL,
    consumer INTEGER NOT NULL,
    record   BLOB    NOT NULL,
    status   TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'confirmed')),
    tx_hash  TEXT,
    batch    INTEGER,
    PRIMARY KEY (region, day, consumer)
) WITHOUT ROWID;
CREATE INDEX meter_status ON meter (status, region, day);
"""


def test_outbox__file_from_before_the_channels__migrated_keeping_every_row(tmp_path: Path) -> None:
    """An outbox keyed by (region, day, consumer) opens keyed by channel too: every row keeps its
    record, status, hash and batch, on the import channel; export rows of the same consumer-days can
    then be queued beside them, and the file opens again unchanged."""
    db = tmp_path / "old.sqlite"
    old = sqlite3.connect(db)
    old.executescript(OLD_SCHEMA)
    imports = _days(5, range(1, 4), Channel.IMPORT)
    rows = [(REGION, 5, 1, imports[0].encode(), "confirmed", "0xaa", 0),
            (REGION, 5, 2, imports[1].encode(), "sent", "0xbb", None),
            (REGION, 5, 3, imports[2].encode(), "pending", None, None)]  # fmt: skip
    old.executemany("INSERT INTO meter VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    old.commit()
    old.close()
    outbox = Outbox(db)
    assert outbox.counts() == {"pending": 1, "sent": 1, "confirmed": 1}
    assert outbox.rows(REGION, 5, "sent", channel=Channel.IMPORT) == [
        (2, imports[1].encode(), "0xbb")
    ]
    assert outbox.rows(REGION, 5, "pending", channel=Channel.IMPORT) == [
        (3, imports[2].encode(), None)
    ]
    got = outbox.db.execute(
        "SELECT consumer, channel, status, tx_hash, batch FROM meter ORDER BY consumer"
    )
    assert got.fetchall() == [(1, 0, "confirmed", "0xaa", 0), (2, 0, "sent", "0xbb", None),
                              (3, 0, "pending", None, None)]  # fmt: skip
    assert outbox.enqueue_days(_days(5, range(1, 4), Channel.EXPORT)) == 3
    assert outbox.enqueue_days(imports) == 0  # already queued: nothing twice
    assert outbox.open_days() == [(REGION, 5, Channel.IMPORT), (REGION, 5, Channel.EXPORT)]
    outbox.close()
    again = Outbox(db)
    assert again.counts() == {"pending": 4, "sent": 1, "confirmed": 1}
    again.close()
