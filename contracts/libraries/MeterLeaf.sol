// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "solady/src/utils/ECDSA.sol";

/// @title MeterLeaf
/// @notice The consumer-day record that meter data is made of, and the Merkle tree over a batch of
/// them (SPECIFICATION.md M-2, M-3). `oracles/reference/meter_leaf.py` is the Python reference.
/// @dev A record is 14 + 4·n packed bytes (big-endian), a versioned header and the readings (M-2):
///   [0, 1)    format version (1)
///   [1, 2)    interval length in minutes (15, 30 or 60: n = 96, 48 or 24 readings)
///   [2, 3)    channel (0 = import, 1 = export)
///   [3, 7)    consumer id (uint32, >= 1)
///   [7, 9)    region id (uint16)
///   [9, 13)   local day (uint32)
///   [13, 14)  flags (bit 0 = data missing; other bits must be 0)
///   [14, ..)  n readings in Wh (uint32 each), interval 0 starting at local midnight
/// Version, interval and channel are the record's shape: 398, 206 or 110 bytes. MeterData takes the
/// region's interval only (R-7) and one channel per batch; settlement reads the import shape of the
/// region's interval (`importShape`, S-13). A signed record (M-7) is the record followed by the meter's 65-byte EIP-712
/// signature (r, s, v) over all of it, header and flags included: 463, 271 or 175 bytes. Leaf =
/// keccak256(record), whichever its length. Internal node = keccak256 of the two children in ascending
/// order (the commutative hash of OpenZeppelin's MerkleProof). Leaves are paired left to right level by
/// level; an unpaired last node moves up unchanged. Records (110 bytes or more) and nodes (64 bytes)
/// have different lengths, so a node can never be passed off as a record, and a record's length follows
/// from its header, so a signed record is never an unsigned one.
library MeterLeaf {
    uint256 internal constant RECORD_BYTES = 110;
    /// @dev The header's length: the readings start here.
    uint256 internal constant HEADER_BYTES = 14;
    uint8 internal constant FORMAT_VERSION = 1;
    uint8 internal constant INTERVAL_MINUTES = 60;
    uint8 internal constant CHANNEL_IMPORT = 0;
    /// @dev The highest channel MeterData takes (1 = export); later channels (state of charge) go above.
    uint8 internal constant CHANNEL_EXPORT = 1;
    uint256 internal constant MINUTES_PER_DAY = 1_440;
    /// @dev The hourly import shape's first three bytes (version, interval, channel).
    uint24 internal constant SHAPE = 0x013c00;
    /// @dev A header's 14 bytes (as `head`, the record's first word >> 144) with its consumer id and
    /// flags masked out: shape, region and day, what every record of a batch shares (M-2, M-3).
    // slither: a mask, written out so that its fields show
    // slither-disable-next-line too-many-digits
    uint112 internal constant BATCH_FIELDS = 0xffffff00000000ffffffffffff00;
    uint256 internal constant SIGNATURE_BYTES = 65;
    uint256 internal constant SIGNED_RECORD_BYTES = RECORD_BYTES + SIGNATURE_BYTES;
    uint8 internal constant FLAG_MISSING = 1;
    /// @dev secp256k1n / 2: a signature's s above it is the malleable twin of a low-s one (EIP-2).
    /// @dev The low 32 bits of each 64-bit lane: a calldata word's odd intervals (its even ones after >> 32).
    // slither: a mask, written out so that its lanes show
    // slither-disable-next-line too-many-digits
    uint256 private constant _ODD_LANES = 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff;
    uint256 private constant _HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    /// @notice The EIP-712 type a meter signs (M-7): one consumer-day, every header field as the record
    /// carries it (flags included: the meter vouches for a "missing" as for a reading) and the readings
    /// as bytes (4·n bytes, n big-endian uint32: 384, 192 or 96), so their hash is one keccak256 of
    /// calldata whatever the interval. Hashed at compile time: its length costs no gas.
    // solhint-disable-next-line gas-small-strings
    bytes32 internal constant METER_DAY_TYPEHASH = keccak256(
        "MeterDay(uint8 version,uint8 intervalMinutes,uint8 channel,uint32 consumerId,uint16 regionId,"
        "uint32 day,uint8 flags,bytes readings)"
    );

    /// @notice The header fields of the record at `offset` inside `data`; `shape` is its first three
    /// bytes (version, interval, channel), `SHAPE` for this format.
    function header(
        bytes calldata data,
        uint256 offset
    ) internal pure returns (uint24 shape, uint32 consumerId, uint16 regionId, uint32 day, uint8 flags) {
        uint256 w;
        // calldata word reads and scratch-space hashing, hot path
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            w := calldataload(add(data.offset, offset))
        }
        shape = uint24(w >> 232);
        consumerId = uint32(w >> 200);
        regionId = uint16(w >> 184);
        day = uint32(w >> 152);
        flags = uint8(w >> 144);
    }

    /// @notice The byte length of the readings of a record of `intervalMinutes` (15, 30 or 60): 4 per
    /// interval of the day; zero for any other interval.
    function readingBytes(uint256 intervalMinutes) internal pure returns (uint256) {
        if (intervalMinutes != 15 && intervalMinutes != 30 && intervalMinutes != 60) return 0;
        return (MINUTES_PER_DAY / intervalMinutes) << 2;
    }

    /// @notice The record's first 14 bytes as one number (shape, consumer id, region, day, flags).
    function headAt(bytes calldata data, uint256 offset) internal pure returns (uint256 head) {
        // one calldata word read
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            head := shr(144, calldataload(add(data.offset, offset)))
        }
    }

    /// @notice The consumer id of the record at `offset` inside `data`.
    function consumerIdAt(bytes calldata data, uint256 offset) internal pure returns (uint32 id) {
        uint256 w;
        // one calldata word read
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            w := calldataload(add(data.offset, offset))
        }
        id = uint32(w >> 200);
    }

    /// @notice The import shape of `intervalMinutes` data (version 1, that interval, channel 0): the
    /// first three bytes of the records that settlement reads in a region of that interval (S-13).
    function importShape(uint8 intervalMinutes) internal pure returns (uint24) {
        return (uint24(FORMAT_VERSION) << 16) | (uint24(intervalMinutes) << 8) | CHANNEL_IMPORT;
    }

    /// @notice The readings of a single record, one per interval of its day (24, 48 or 96; the caller
    /// checked its length against its interval).
    function readings(bytes calldata record) internal pure returns (uint32[] memory r) {
        uint256 n = readingBytes(uint8(headAt(record, 0) >> 96)) >> 2;
        r = new uint32[](n);
        readIntervals(record, r, 0, n);
    }

    /// @notice The readings of intervals [first, end) of a record, written into `r` (its other intervals
    /// are left as they are): what a baseline reads of a day, without decoding the rest. Needs
    /// first <= end <= r.length and end <= the record's readings.
    function readIntervals(bytes calldata record, uint32[] memory r, uint256 first, uint256 end) internal pure {
        // calldata word reads into the given words of `r`, hot path (every record of a batch settlement)
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let src := add(add(record.offset, HEADER_BYTES), shl(2, first))
            let data := add(r, 0x20)
            let limit := add(data, shl(5, end))
            let dst := add(data, shl(5, first))
            // two readings per calldata word while at least two are left, then the last one
            for {} lt(add(dst, 0x20), limit) {
                dst := add(dst, 0x40)
                src := add(src, 8)
            } {
                let w := calldataload(src)
                mstore(dst, shr(224, w))
                mstore(add(dst, 0x20), and(shr(192, w), 0xffffffff))
            }
            if lt(dst, limit) {
                mstore(dst, shr(224, calldataload(src)))
            }
        }
    }

    /// @notice Adds a record's readings to `lanes`: two words of four 64-bit lanes per calldata word of
    /// eight readings, one lane per interval (`unpackLanes` gives the per-interval sums back); `lanes`
    /// holds a quarter as many words as the record has readings (6, 12 or 24). A lane holds any sum of
    /// fewer than 2^32 readings, so a 10-in-10 baseline adds its days up eight intervals at a time.
    function addToLanes(bytes calldata record, uint256[] memory lanes) internal pure {
        // calldata words, each split into its odd and even intervals by one mask: hot path (every
        // baseline record of a 10-in-10 batch settlement)
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := _ODD_LANES
            let src := add(record.offset, HEADER_BYTES)
            let at := add(lanes, 0x20)
            let limit := add(at, shl(5, mload(lanes)))
            for {} lt(at, limit) {
                at := add(at, 0x40)
                src := add(src, 0x20)
            } {
                let w := calldataload(src)
                mstore(at, add(mload(at), and(w, m)))
                let next := add(at, 0x20)
                mstore(next, add(mload(next), and(shr(32, w), m)))
            }
        }
    }

    /// @notice The per-interval sums that `addToLanes` gathered, into `sums` (four times as many words
    /// as `lanes`); the lanes are zeroed for the next sum. Lane layout: word 2k holds intervals 8k+7,
    /// 8k+5, 8k+3, 8k+1 (lowest lane first), word 2k+1 intervals 8k+6, 8k+4, 8k+2, 8k.
    function unpackLanes(uint256[] memory lanes, uint256[] memory sums) internal pure {
        // lane reads, a word pair per eight intervals: once per consumer of a 10-in-10 batch settlement
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let lane := 0xffffffffffffffff
            let src := add(lanes, 0x20)
            let limit := add(src, shl(5, mload(lanes)))
            for {
                let dst := add(sums, 0x20)
            } lt(src, limit) {
                src := add(src, 0x40)
                dst := add(dst, 0x100)
            } {
                let oddIntervals := mload(src)
                let evenIntervals := mload(add(src, 0x20))
                mstore(src, 0)
                mstore(add(src, 0x20), 0)
                mstore(dst, shr(192, evenIntervals))
                mstore(add(dst, 0x20), shr(192, oddIntervals))
                mstore(add(dst, 0x40), and(shr(128, evenIntervals), lane))
                mstore(add(dst, 0x60), and(shr(128, oddIntervals), lane))
                mstore(add(dst, 0x80), and(shr(64, evenIntervals), lane))
                mstore(add(dst, 0xa0), and(shr(64, oddIntervals), lane))
                mstore(add(dst, 0xc0), and(evenIntervals, lane))
                mstore(add(dst, 0xe0), and(oddIntervals, lane))
            }
        }
    }

    /// @notice The EIP-712 digest a meter signs for a record (its header, flags and `readingsLength`
    /// reading bytes, M-2) in the domain `domainSeparator` (MeterData's, M-7). Needs the record to hold
    /// at least 14 + `readingsLength` bytes.
    function digest(
        bytes calldata record,
        uint256 readingsLength,
        bytes32 domainSeparator
    ) internal pure returns (bytes32 d) {
        bytes32 typeHash = METER_DAY_TYPEHASH;
        // hashStruct(MeterDay) from the record's header word and the keccak256 of its reading bytes,
        // then keccak256("\x19\x01" ‖ domain ‖ hashStruct) as MessageHashUtils.toTypedDataHash lays it
        // out, in scratch memory past the free pointer, nothing allocated: hot path of signed posting
        // (one per record)
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, add(record.offset, HEADER_BYTES), readingsLength)
            let readingsHash_ := keccak256(m, readingsLength)
            let head := calldataload(record.offset)
            mstore(m, typeHash)
            mstore(add(m, 0x20), shr(248, head))
            mstore(add(m, 0x40), and(shr(240, head), 0xff))
            mstore(add(m, 0x60), and(shr(232, head), 0xff))
            mstore(add(m, 0x80), and(shr(200, head), 0xffffffff))
            mstore(add(m, 0xa0), and(shr(184, head), 0xffff))
            mstore(add(m, 0xc0), and(shr(152, head), 0xffffffff))
            mstore(add(m, 0xe0), and(shr(144, head), 0xff))
            mstore(add(m, 0x100), readingsHash_)
            let structHash := keccak256(m, 0x120)
            mstore(m, hex"1901")
            mstore(add(m, 0x02), domainSeparator)
            mstore(add(m, 0x22), structHash)
            d := keccak256(m, 0x42)
        }
    }

    /// @notice The address whose signature a signed record carries, in the domain `domainSeparator`;
    /// zero if the record's interval is not 15, 30 or 60 minutes, its length is not that interval's
    /// signed length (14 + 4·n + 65 bytes) or its signature is malformed (M-7).
    function signer(bytes calldata signedRecord, bytes32 domainSeparator) internal view returns (address) {
        uint256 rb = readingBytes(uint8(headAt(signedRecord, 0) >> 96));
        if (rb == 0 || signedRecord.length != HEADER_BYTES + rb + SIGNATURE_BYTES) return address(0);
        return signerOf(signedRecord, rb, domainSeparator);
    }

    /// @notice The address whose signature follows the `readingsLength` reading bytes of a signed record
    /// whose length the caller checked (14 + `readingsLength` + 65); zero if the signature is malformed:
    /// v not 27 or 28, s above secp256k1n / 2 (EIP-2, as OpenZeppelin's ECDSA refuses it), or no recovery.
    function signerOf(
        bytes calldata signedRecord,
        uint256 readingsLength,
        bytes32 domainSeparator
    ) internal view returns (address) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        // the signature's three fields after the record's bytes (the caller checked the length)
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let sig := add(signedRecord.offset, add(HEADER_BYTES, readingsLength))
            r := calldataload(sig)
            s := calldataload(add(sig, 0x20))
            v := byte(0, calldataload(add(sig, 0x40)))
        }
        if (uint256(s) > _HALF_ORDER) return address(0);
        // Solady's ecrecover call: zero when the precompile recovers nothing (v not 27/28, r or s out
        // of range); one per record of a signed batch, so its few opcodes matter
        return ECDSA.tryRecover(digest(signedRecord, readingsLength, domainSeparator), v, r, s);
    }

    /// @notice keccak256 of the `length`-byte record at `offset` (the Merkle leaf).
    function leafAt(bytes calldata data, uint256 offset, uint256 length) internal pure returns (bytes32 leaf) {
        // calldata word reads and scratch-space hashing, hot path
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, add(data.offset, offset), length)
            leaf := keccak256(ptr, length)
        }
    }

    /// @notice The Merkle root of `count` leaves, built in place (the array is overwritten).
    function root(bytes32[] memory nodes) internal pure returns (bytes32) {
        uint256 n = nodes.length;
        while (n > 1) {
            uint256 half = n >> 1;
            for (uint256 i; i < half; ++i) {
                bytes32 a = nodes[2 * i];
                bytes32 b = nodes[2 * i + 1];
                nodes[i] = a < b ? _hash(a, b) : _hash(b, a);
            }
            if (n & 1 == 1) nodes[half] = nodes[n - 1];
            n = half + (n & 1);
        }
        return nodes[0];
    }

    function _hash(bytes32 a, bytes32 b) private pure returns (bytes32 h) {
        // calldata word reads and scratch-space hashing, hot path
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            h := keccak256(0x00, 0x40)
        }
    }
}
