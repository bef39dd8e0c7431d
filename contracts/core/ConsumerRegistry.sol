// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IConsumerRegistry} from "../interfaces/IConsumerRegistry.sol";
import {IERC5192} from "../interfaces/IERC5192.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";
import {LocalTime} from "../libraries/LocalTime.sol";

/// @title ConsumerRegistry
/// @notice Consumers and their soulbound participation tokens (ERC-721 + ERC-5192, never transferable)
/// (SPECIFICATION.md §5, C-1..C-10). No personal data is stored: only hashes.
contract ConsumerRegistry is IConsumerRegistry, IERC5192, ERC721, AccessControl {
    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice May activate consumers of any region (besides the region's active utilities).
    bytes32 public constant KYC_ATTESTER_ROLE = keccak256("KYC_ATTESTER_ROLE");
    /// @notice The settlement contract: writes track records.
    bytes32 public constant SETTLEMENT_ROLE = keccak256("SETTLEMENT_ROLE");

    /// @notice Days a replaced meter key must have been current before the key before it may be
    /// forgotten (C-11): at least the baseline lookback (45 days), the settlement window (14), the
    /// longest challenge window (3) and the dispute window (7) of any settlement still open.
    uint32 public constant METER_KEY_RETENTION_DAYS = 75;
    uint8 internal constant CONSENT_MASK = 3;
    uint8 internal constant CONSENT_DATA_USE = 1;
    uint8 internal constant CONSENT_AUTO_ENROLL = 2;
    uint32 internal constant MAX_CAPACITY_W = 100_000_000;
    uint16 internal constant INITIAL_RELIABILITY_BPS = 5_000;
    uint256 internal constant RELIABILITY_WEIGHT_BPS = 2_000;
    uint256 internal constant BPS = 10_000;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    IRegionRegistry private immutable _regions;
    IUtilityRegistry private immutable _utilities;

    mapping(address account => Consumer) private _consumers;
    mapping(address account => TrackRecord) private _records;
    mapping(address account => bytes32) private _kycHashes;
    mapping(address account => mapping(address token => uint256)) private _rewards;
    mapping(uint32 consumerId => address) private _accounts;
    mapping(bytes32 meterIdHash => address) private _meterOwners;
    mapping(address account => MeterKey) private _meterKeys;
    uint32 private _consumerCount;

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param regions The shared region registry.
    /// @param utilities The utility registry (activation by a region's active utility).
    constructor(
        address admin,
        IRegionRegistry regions,
        IUtilityRegistry utilities
    ) ERC721("GridBalance Participation", "GBDR") {
        _regions = regions;
        _utilities = utilities;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /*//////////////////////////////////////////////////////////////
                              REGISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IConsumerRegistry
    function register(
        ConsumerClass class,
        uint16 regionId,
        bytes32 meterIdHash,
        uint32 capacityW,
        uint8 consent,
        Preferences calldata prefs
    ) external {
        Consumer storage c = _consumers[msg.sender];
        if (c.status != ConsumerStatus.None) revert AlreadyRegistered(msg.sender, c.status);
        if (!_regions.regionExists(regionId)) revert UnknownConsumerRegion(regionId);
        // a claim only: the meter binds at activation, when an attester vouches for it (C-2)
        if (meterIdHash == bytes32(0)) revert MeterAlreadyRegistered(meterIdHash);
        _validateProfile(capacityW, consent, prefs);
        c.regionId = regionId;
        c.class = class;
        c.status = ConsumerStatus.Registered;
        c.consent = consent;
        c.capacityW = capacityW;
        _setPrefs(c, prefs);
        c.meterIdHash = meterIdHash;
        emit ConsumerRegistered(msg.sender, class, regionId, meterIdHash, capacityW, consent, prefs);
    }

    /// @inheritdoc IConsumerRegistry
    function activate(address account, bytes32 kycHash, bytes32 meterAttestationHash) external {
        Consumer storage c = _requireStatus(account, ConsumerStatus.Registered);
        uint16 regionId = c.regionId;
        _requireAttester(regionId);
        if (kycHash == bytes32(0) || meterAttestationHash == bytes32(0)) revert MissingAttestation();
        bytes32 meter = c.meterIdHash;
        if (_meterOwners[meter] != address(0)) revert MeterAlreadyRegistered(meter);
        _meterOwners[meter] = account;
        uint32 id = ++_consumerCount;
        c.id = id;
        c.status = ConsumerStatus.Active;
        c.activationDay = _today(regionId);
        _kycHashes[account] = keccak256(abi.encode(kycHash, meterAttestationHash));
        _accounts[id] = account;
        _records[account].reliabilityBps = INITIAL_RELIABILITY_BPS;
        _mint(account, id);
        emit Locked(id);
        emit ConsumerActivated(account, id, msg.sender, kycHash, meterAttestationHash);
    }

    /// @inheritdoc IConsumerRegistry
    function clearRegistration(address account) external {
        Consumer storage c = _requireStatus(account, ConsumerStatus.Registered);
        if (msg.sender != account) _requireAttester(c.regionId);
        delete _consumers[account];
        emit RegistrationCleared(account, msg.sender);
    }

    /// @inheritdoc IConsumerRegistry
    function setMeterKey(address account, address key, uint32 fromDay) external {
        Consumer storage c = _requireStatus(account, ConsumerStatus.Active);
        _requireAttester(c.regionId);
        MeterKey storage k = _meterKeys[account];
        address previous = k.key;
        if (key == address(0)) revert InvalidMeterKey(key, fromDay);
        if (previous != address(0)) {
            // a replacement changes no past day's signer (C-11): no past-dated key voids signed days
            uint32 today = _today(c.regionId);
            if (fromDay < today) revert MeterKeyPastDated(fromDay, today);
            if (fromDay <= k.fromDay) revert InvalidMeterKey(key, fromDay);
            // it forgets k.previousKey, which signs the days before k.fromDay: only once none of
            // them can be read by a settlement still open
            uint256 earliest = uint256(k.fromDay) + METER_KEY_RETENTION_DAYS;
            if (k.previousKey != address(0) && today < earliest) revert MeterKeyRotationTooSoon(account, earliest);
        }
        k.key = key;
        k.fromDay = fromDay;
        k.previousKey = previous;
        emit MeterKeySet(account, key, fromDay, previous);
    }

    /// @inheritdoc IConsumerRegistry
    function updateProfile(uint32 capacityW, uint8 consent, Preferences calldata prefs) external {
        Consumer storage c = _consumers[msg.sender];
        if (c.status != ConsumerStatus.Registered && c.status != ConsumerStatus.Active) {
            revert ConsumerNotInStatus(msg.sender, ConsumerStatus.Active, c.status);
        }
        _validateProfile(capacityW, consent, prefs);
        // C-12: capacity is attested; the consumer alone can only lower it
        uint32 attested = c.capacityW;
        if (capacityW > attested) revert CapacityNotAttested(capacityW, attested);
        c.capacityW = capacityW;
        c.consent = consent;
        _setPrefs(c, prefs);
        emit ProfileUpdated(msg.sender, capacityW, consent, prefs);
    }

    /// @inheritdoc IConsumerRegistry
    function attestCapacity(address account, uint32 capacityW) external {
        Consumer storage c = _consumers[account];
        ConsumerStatus status = c.status;
        if (status != ConsumerStatus.Registered && status != ConsumerStatus.Active) {
            revert ConsumerNotInStatus(account, ConsumerStatus.Active, status);
        }
        _requireAttester(c.regionId);
        if (capacityW == 0 || capacityW > MAX_CAPACITY_W) revert InvalidCapacity(capacityW);
        c.capacityW = capacityW;
        emit CapacityAttested(account, capacityW, msg.sender);
    }

    /// @inheritdoc IConsumerRegistry
    function setPaused(bool paused) external {
        Consumer storage c = _requireStatus(msg.sender, ConsumerStatus.Active);
        c.paused = paused;
        emit ParticipationPaused(msg.sender, paused);
    }

    /// @inheritdoc IConsumerRegistry
    function deregister() external {
        Consumer storage c = _requireStatus(msg.sender, ConsumerStatus.Active);
        uint32 id = c.id;
        c.status = ConsumerStatus.Deregistered;
        delete _meterOwners[c.meterIdHash];
        _burn(id);
        emit ConsumerDeregistered(msg.sender, id);
    }

    /*//////////////////////////////////////////////////////////////
                              TRACK RECORD
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IConsumerRegistry
    function recordSettlements(
        address token,
        uint16 minDeliveryBps,
        SettlementReport[] calldata reports
    ) external onlyRole(SETTLEMENT_ROLE) {
        for (uint256 i = 0; i < reports.length; ++i) _recordSettlement(token, minDeliveryBps, reports[i]);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IConsumerRegistry
    function consumer(address account) external view returns (Consumer memory) {
        return _consumers[account];
    }

    /// @inheritdoc IConsumerRegistry
    function activation(address account) external view returns (uint32 id, uint32 activationDay) {
        Consumer storage c = _consumers[account];
        return (c.id, c.activationDay);
    }

    /// @inheritdoc IConsumerRegistry
    function eligibility(address account, EventTerms calldata t) external view returns (Eligibility memory el) {
        Consumer storage c = _consumers[account]; // slot 1 holds every field read here
        uint8 consent = c.consent;
        uint8 reason = 0; // an Ineligibility: uint8 locals cost no enum checks
        if (c.status != ConsumerStatus.Active) reason = uint8(Ineligibility.NotActive);
        else if (c.paused) reason = uint8(Ineligibility.Paused);
        else if (consent & CONSENT_DATA_USE == 0) reason = uint8(Ineligibility.NoDataConsent);
        else if (t.byKeeper && consent & CONSENT_AUTO_ENROLL == 0) reason = uint8(Ineligibility.NoKeeperConsent);
        else if (c.regionId != t.regionId) reason = uint8(Ineligibility.OtherRegion);
        else if ((t.classMask >> uint8(c.class)) & 1 == 0) reason = uint8(Ineligibility.ClassNotEligible);
        else if (t.rate < c.minRate) reason = uint8(Ineligibility.RateBelowMinimum);
        else if (!_hoursAvailable(c.availableHours, t.startHour, t.endHour))
            reason = uint8(Ineligibility.HoursNotAvailable);
        el.reason = reason;
        el.capacityW = c.capacityW;
        el.maxEventsPer30Days = c.maxEventsPer30Days;
    }

    /// @inheritdoc IConsumerRegistry
    function meterKey(address account) external view returns (MeterKey memory) {
        return _meterKeys[account];
    }

    /// @inheritdoc IConsumerRegistry
    function daySigners(uint32 day, uint32[] calldata consumerIds) external view returns (address[] memory keys) {
        uint256 n = consumerIds.length;
        keys = new address[](n);
        for (uint256 i; i < n; ++i) {
            MeterKey storage k = _meterKeys[_accounts[consumerIds[i]]];
            keys[i] = day < k.fromDay ? k.previousKey : k.key;
        }
    }

    /// @inheritdoc IConsumerRegistry
    function trackRecord(address account) external view returns (TrackRecord memory) {
        return _records[account];
    }

    /// @inheritdoc IConsumerRegistry
    function rewardsOf(address account, address token) external view returns (uint256) {
        return _rewards[account][token];
    }

    /// @inheritdoc IConsumerRegistry
    function accountOf(uint32 consumerId) external view returns (address) {
        return _accounts[consumerId];
    }

    /// @inheritdoc IConsumerRegistry
    function meterOwner(bytes32 meterIdHash) external view returns (address) {
        return _meterOwners[meterIdHash];
    }

    /// @inheritdoc IConsumerRegistry
    function consumerCount() external view returns (uint32) {
        return _consumerCount;
    }

    /// @notice The hash binding a consumer's KYC record and meter attestation (C-3).
    function kycHashOf(address account) external view returns (bytes32) {
        return _kycHashes[account];
    }

    /// @inheritdoc IERC5192
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /// @notice ERC-165: ERC-721, ERC-721 Metadata, ERC-5192 and AccessControl.
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, AccessControl) returns (bool) {
        return
            interfaceId == type(IERC5192).interfaceId ||
            ERC721.supportsInterface(interfaceId) ||
            AccessControl.supportsInterface(interfaceId);
    }

    /*//////////////////////////////////////////////////////////////
                               SOULBOUND
    //////////////////////////////////////////////////////////////*/

    /// @notice Participation tokens cannot be approved (C-4).
    function approve(address, uint256 tokenId) public pure override {
        revert Soulbound(tokenId);
    }

    /// @notice Participation tokens cannot be approved (C-4).
    function setApprovalForAll(address, bool) public pure override {
        revert Soulbound(0);
    }

    /// @dev The current local day in `regionId` (LocalTime, the region's UTC offset).
    function _today(uint16 regionId) private view returns (uint32) {
        return LocalTime.dayOf(_regions.region(regionId).utcOffsetMinutes, block.timestamp);
    }

    /// @dev Only mint (from 0) and burn (to 0) move a token (C-4).
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = _ownerOf(tokenId);
        if (from != address(0) && to != address(0)) revert Soulbound(tokenId);
        return super._update(to, tokenId, auth);
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev C-3, C-11: KYC_ATTESTER_ROLE or an active utility of the region.
    function _requireAttester(uint16 regionId) private view {
        if (!hasRole(KYC_ATTESTER_ROLE, msg.sender) && !_utilities.isActiveUtility(msg.sender, regionId)) {
            revert NotAuthorizedAttester(msg.sender, regionId);
        }
    }

    function _requireStatus(address account, ConsumerStatus expected) private view returns (Consumer storage c) {
        c = _consumers[account];
        if (c.status != expected) revert ConsumerNotInStatus(account, expected, c.status);
    }

    function _setPrefs(Consumer storage c, Preferences calldata prefs) private {
        c.minRate = prefs.minRate;
        c.maxEventsPer30Days = prefs.maxEventsPer30Days;
        c.availableHours = prefs.availableHours;
    }

    function _validateProfile(uint32 capacityW, uint8 consent, Preferences calldata prefs) private pure {
        if (capacityW == 0 || capacityW > MAX_CAPACITY_W) revert InvalidCapacity(capacityW);
        if (consent & ~CONSENT_MASK != 0) revert InvalidConsent(consent);
        if (prefs.maxEventsPer30Days == 0 || prefs.maxEventsPer30Days > 30 || prefs.availableHours == 0) {
            revert InvalidPreferences();
        }
    }

    /// @dev V-2: every hour of [startHour, endHour) is in the consumer's available hours.
    function _hoursAvailable(uint24 mask, uint8 startHour, uint8 endHour) private pure returns (bool) {
        uint256 need = ((uint256(1) << (endHour - startHour)) - 1) << startHour;
        return uint256(mask) & need == need;
    }

    /// @dev C-9, C-10: one settlement in the consumer's track record.
    function _recordSettlement(address token, uint16 minDeliveryBps, SettlementReport calldata s) private {
        address account = s.account;
        uint256 verifiedWh = s.verifiedWh;
        uint256 committedWh = s.committedWh;
        TrackRecord storage r = _records[account];
        ++r.eventsSettled;
        if (!s.sufficientData) {
            ++r.eventsInsufficient;
        } else {
            r.verifiedWh += uint64(verifiedWh);
            // C-9: delivered = some verified reduction, at least the minimum delivery ratio of the
            // commitment (a zero reduction is never delivered, even with a minimum of 0);
            // C-10: performance 0 unless delivered, else min(verified / committed, 1)
            uint256 perf = 0;
            if (verifiedWh != 0 && verifiedWh * BPS >= committedWh * minDeliveryBps) {
                ++r.eventsDelivered;
                perf = committedWh == 0 ? BPS : (verifiedWh * BPS) / committedWh;
                if (perf > BPS) perf = BPS;
            }
            r.reliabilityBps = uint16(
                (uint256(r.reliabilityBps) * (BPS - RELIABILITY_WEIGHT_BPS) + perf * RELIABILITY_WEIGHT_BPS) / BPS
            );
        }
        uint256 reward = s.reward;
        if (reward != 0) _rewards[account][token] += reward;
        emit TrackRecordUpdated(account, r.reliabilityBps, r.verifiedWh);
    }
}
