// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IConsumerRegistry
/// @notice Consumers, their meters, consent, preferences, soulbound participation token and track
/// record (SPECIFICATION.md §5, rules C-1..C-10).
interface IConsumerRegistry {
    /// @notice Consumer class; also the bit index in a program's class mask.
    enum ConsumerClass {
        Residential,
        Commercial,
        Industrial
    }

    /// @notice Registered = waiting for activation; Deregistered is final for the account.
    enum ConsumerStatus {
        None,
        Registered,
        Active,
        Deregistered
    }

    /// @notice Why a consumer cannot take part in an event (V-2), in the order enrollment checks them;
    /// None = it can. ReductionRequests' EnrollmentRefused codes 1..8 are these values (V-6).
    enum Ineligibility {
        None,
        NotActive,
        Paused,
        NoDataConsent, // consent bit 0 (data use) not given
        NoKeeperConsent, // a keeper enrolls, consent bit 1 (automated enrollment) not given
        OtherRegion,
        ClassNotEligible, // the consumer's class is not in the program's class mask
        RateBelowMinimum, // the event's rate is below the consumer's minimum rate
        HoursNotAvailable // an event hour is outside the consumer's available hours
    }

    /// @notice What a consumer accepts.
    struct Preferences {
        uint80 minRate; // lowest event rate accepted, token units per kWh
        uint8 maxEventsPer30Days; // 1..30 event days in any 30-day window ending at an event day
        uint24 availableHours; // bit h = local hour h may be in an event; non-zero
    }

    /// @notice One consumer. Slot 1 packs everything enrollment reads (32 bytes exactly).
    struct Consumer {
        uint32 id; // dense consumer id (= token id), 0 until activation
        uint16 regionId;
        ConsumerClass class;
        ConsumerStatus status;
        bool paused; // participation paused by the consumer
        uint8 consent; // bit 0: data use (needed to enroll); bit 1: automated enrollment by a keeper
        uint32 capacityW; // attested reduction capacity, W (C-12): only an attester raises it
        uint32 activationDay; // local day of activation
        uint80 minRate; // preferences, as in Preferences
        uint8 maxEventsPer30Days;
        uint24 availableHours;
        bytes32 meterIdHash; // hash of the meter id; one consumer per meter
    }

    /// @notice An event's terms, as enrollment checks them against a consumer (V-2).
    struct EventTerms {
        uint16 regionId;
        uint8 classMask; // the program's classes (bit = ConsumerClass)
        uint96 rate; // the event's rate, token units per kWh
        uint8 startHour; // [startHour, endHour) local hours
        uint8 endHour;
        bool byKeeper; // a keeper enrolls (needs automated-enrollment consent)
    }

    /// @notice What enrollment needs of a consumer: why it cannot take part (0 = it can), its capacity
    /// and its events-per-30-days cap (V-2, V-3).
    struct Eligibility {
        uint8 reason; // an Ineligibility (0 = None: eligible); uint8 keeps callers free of enum checks
        uint32 capacityW;
        uint8 maxEventsPer30Days;
    }

    /// @notice Track record, written by settlement only (C-9, C-10).
    struct TrackRecord {
        uint32 eventsSettled; // enrollments settled (delivered, under-delivered or insufficient data)
        uint32 eventsDelivered; // settled at or above the program's minimum delivery ratio
        uint32 eventsInsufficient; // settled as "insufficient data"
        uint16 reliabilityBps; // C-10, starts at 5_000
        uint64 verifiedWh; // sum of verified reductions
    }

    /// @notice One settled enrollment, as the ledger reports it for the track record (C-9, C-10).
    struct SettlementReport {
        address account;
        uint256 committedWh; // the enrollment's commitment
        uint256 verifiedWh; // the verified reduction (0 for insufficient data)
        uint256 reward; // the reward earned, token units
        bool sufficientData; // false for an "insufficient data" settlement
    }

    /// @notice A meter's signing keys (C-11, M-7). `key` signs the days from `fromDay` on, `previousKey`
    /// the days before (one rotation is remembered: a replaced meter's recent days stay verifiable).
    struct MeterKey {
        address key; // slot 1
        uint32 fromDay;
        address previousKey; // slot 2
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The account already registered (deregistration is final for an account).
    error AlreadyRegistered(address account, ConsumerStatus status);
    /// @notice The meter id hash is zero, or (at activation) bound to another active consumer (C-2).
    error MeterAlreadyRegistered(bytes32 meterIdHash);
    /// @notice The region does not exist.
    error UnknownConsumerRegion(uint16 regionId);
    /// @notice Capacity must be 1 W .. 100 MW.
    error InvalidCapacity(uint32 capacityW);
    /// @notice Preferences out of range (events per 30 days 1..30, non-empty hours mask).
    error InvalidPreferences();
    /// @notice Consent uses bits 0 and 1 only.
    error InvalidConsent(uint8 consent);
    /// @notice The account has no consumer in the required status.
    error ConsumerNotInStatus(address account, ConsumerStatus expected, ConsumerStatus actual);
    /// @notice Only an active utility of the consumer's region or a KYC_ATTESTER may activate.
    error NotAuthorizedAttester(address attester, uint16 regionId);
    /// @notice The KYC record hash or meter ownership attestation is zero.
    error MissingAttestation();
    /// @notice A meter key must be non-zero and start after the current key's first day (C-11).
    error InvalidMeterKey(address key, uint32 fromDay);
    /// @notice A replacement key cannot sign days before today, `today` in the consumer's region (C-11).
    error MeterKeyPastDated(uint32 fromDay, uint32 today);
    /// @notice Replacing the key now would forget a previous key that still signs days a pending
    /// settlement may read; replacements are accepted from `earliestDay` on (C-11).
    error MeterKeyRotationTooSoon(address account, uint256 earliestDay);
    /// @notice A consumer's own profile update cannot raise its capacity above the attested one (C-12).
    error CapacityNotAttested(uint32 capacityW, uint32 attestedW);
    /// @notice Participation tokens cannot be transferred or approved.
    error Soulbound(uint256 tokenId);

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A consumer registered (C-1).
    event ConsumerRegistered(
        address indexed account,
        ConsumerClass class,
        uint16 indexed regionId,
        bytes32 meterIdHash,
        uint32 capacityW,
        uint8 consent,
        Preferences prefs
    );
    /// @notice A consumer was activated and received participation token `consumerId` (C-3).
    event ConsumerActivated(
        address indexed account,
        uint32 indexed consumerId,
        address indexed attester,
        bytes32 kycHash,
        bytes32 meterAttestationHash
    );
    /// @notice A consumer changed capacity, consent or preferences (C-5).
    event ProfileUpdated(address indexed account, uint32 capacityW, uint8 consent, Preferences prefs);
    /// @notice An attester set a consumer's reduction capacity (C-12).
    event CapacityAttested(address indexed account, uint32 capacityW, address indexed attester);
    /// @notice A consumer paused or resumed participation (C-6).
    event ParticipationPaused(address indexed account, bool paused);
    /// @notice A consumer deregistered; the token was burned and the meter freed (C-7).
    event ConsumerDeregistered(address indexed account, uint32 indexed consumerId);
    /// @notice A registration that was never activated was withdrawn, by the consumer or an attester (C-2).
    event RegistrationCleared(address indexed account, address indexed by);
    /// @notice An attester registered the signing key of a consumer's meter (C-11).
    event MeterKeySet(address indexed account, address indexed key, uint32 fromDay, address previousKey);
    /// @notice Settlement updated a track record (C-9).
    /// The reward, its token and the event are in the ledger's Settled event of the same transaction.
    event TrackRecordUpdated(address indexed account, uint16 reliabilityBps, uint64 verifiedWh);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Register msg.sender as a consumer (C-1, C-2).
    /// @param class Residential, commercial or industrial.
    /// @param regionId An existing region.
    /// @param meterIdHash Hash of the meter id it claims; bound to the consumer only at activation,
    /// when an attester vouches for its ownership (C-2), so a claim reserves nothing.
    /// @param capacityW Declared reduction capacity in W; the activating attester vouches for it (C-12).
    /// @param consent Bit 0 data use, bit 1 automated enrollment.
    /// @param prefs Minimum rate, event cap, available hours.
    function register(
        ConsumerClass class,
        uint16 regionId,
        bytes32 meterIdHash,
        uint32 capacityW,
        uint8 consent,
        Preferences calldata prefs
    ) external;

    /// @notice Attest KYC and meter ownership and activate a registered consumer: binds its meter
    /// (one active consumer per meter, C-2), mints the soulbound token and assigns the dense consumer
    /// id. An active utility of the consumer's region or KYC_ATTESTER_ROLE (C-3).
    /// @param account The registered consumer.
    /// @param kycHash Hash of the off-chain KYC record.
    /// @param meterAttestationHash Hash of the meter-ownership evidence.
    function activate(address account, bytes32 kycHash, bytes32 meterAttestationHash) external;

    /// @notice Register the signing key of an active consumer's meter, for the days from `fromDay` on;
    /// the key it replaces keeps the days before. An active utility of the consumer's region or
    /// KYC_ATTESTER_ROLE, as for activation (C-11). A replacement starts today or later (no past
    /// day changes signer) and is refused while it would forget a previous key that signs days a
    /// pending settlement may still read (METER_KEY_RETENTION_DAYS).
    /// @param account The active consumer.
    /// @param key The address of the meter's signing key (non-zero).
    /// @param fromDay First local day the key signs; for a replacement, today or later and after the
    /// current key's first day.
    function setMeterKey(address account, address key, uint32 fromDay) external;

    /// @notice Change capacity, consent and preferences. The consumer only, once registered (C-5); the
    /// capacity may only stay or go down (`CapacityNotAttested` above the attested one, C-12).
    function updateProfile(uint32 capacityW, uint8 consent, Preferences calldata prefs) external;

    /// @notice Set a registered or active consumer's reduction capacity, up or down (C-12). An active
    /// utility of the consumer's region or KYC_ATTESTER_ROLE, as for activation.
    /// @param account The registered or active consumer.
    /// @param capacityW The attested capacity, 1 W .. 100 MW.
    function attestCapacity(address account, uint32 capacityW) external;

    /// @notice Pause or resume participation. The consumer only, once active (C-6).
    function setPaused(bool paused) external;

    /// @notice Leave: burn the token, free the meter. Unpaid rewards stay payable (C-7).
    function deregister() external;

    /// @notice Withdraw a registration that was never activated: the account may register again
    /// (C-2). The registered consumer itself, or an attester of its region (a stale or squatting
    /// registration).
    /// @param account The registered (not active) consumer.
    function clearRegistration(address account) external;

    /// @notice Record settlements of one program in the consumers' track records. Only
    /// SETTLEMENT_ROLE (C-9, C-10).
    /// @param token The payment token of the program.
    /// @param minDeliveryBps The program's minimum delivery ratio.
    /// @param reports One per settled enrollment.
    function recordSettlements(address token, uint16 minDeliveryBps, SettlementReport[] calldata reports) external;

    /// @notice A consumer's registration.
    function consumer(address account) external view returns (Consumer memory);

    /// @notice What settlement reads of a consumer (S-3): its id and local activation day, one slot
    /// (both 0 before activation).
    function activation(address account) external view returns (uint32 id, uint32 activationDay);

    /// @notice Whether the consumer may take part in an event with these terms, checked in the order
    /// of the reason codes (V-2), with its capacity and its events-per-30-days cap (V-3).
    function eligibility(address account, EventTerms calldata terms) external view returns (Eligibility memory);

    /// @notice A consumer's meter keys (zero if none registered).
    function meterKey(address account) external view returns (MeterKey memory);

    /// @notice For each consumer id, the meter key that signs its local day `day` (C-11, M-7): the current
    /// key from its first day on, the previous key before; zero for an id without a key (or no consumer).
    /// MeterData checks every signed record against it when the record is posted. The batch's length is
    /// the caller's (a MeterData batch: at most MAX_BATCH_RECORDS).
    /// @param day The local day the records are of.
    /// @param consumerIds The records' consumer ids.
    function daySigners(uint32 day, uint32[] calldata consumerIds) external view returns (address[] memory keys);

    /// @notice A consumer's track record.
    function trackRecord(address account) external view returns (TrackRecord memory);

    /// @notice Rewards earned by a consumer in one token (C-9).
    function rewardsOf(address account, address token) external view returns (uint256);

    /// @notice The account of a consumer id (kept after deregistration); zero if unknown.
    function accountOf(uint32 consumerId) external view returns (address);

    /// @notice The consumer that registered a meter id hash; zero if none.
    function meterOwner(bytes32 meterIdHash) external view returns (address);

    /// @notice Number of consumer ids assigned so far (ids are 1..count).
    function consumerCount() external view returns (uint32);
}
