// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IProgramRegistry
/// @notice Demand-response programs: a utility's offer in one region, its rules and its escrowed budget
/// (SPECIFICATION.md §7, rules P-1, P-2). A program is written once, at creation; the ledger
/// (ReductionRequests), the settlement contracts and the forecaster read it.
interface IProgramRegistry {
    /// @notice What a program settles on (P-2, N-1): the import channel, or the net load per interval,
    /// max(import - export, 0), so that an export is never paid as a reduction.
    enum Basis {
        Import,
        Net
    }

    /// @notice What a program's events are for (P-7): peak shaving (a reduction in the event window, the
    /// default), load shifting (the reduction and its rebound in a window beside the event settle
    /// together, L-1..L-6) or emergency response (events only from the emergency path: a trigger holder's
    /// Emergency-tier event, G-14).
    enum ProgramType {
        PeakShaving,
        LoadShifting,
        EmergencyResponse
    }

    /// @notice A program's type and, for load shifting, its rebound window and energy-neutrality
    /// tolerance (P-7, L-1, L-2). Stored in the free bits of the program's third slot.
    struct ProgramKind {
        ProgramType programType;
        uint8 shiftHours; // load shifting: the rebound window's length in hours, 1..12 (else 0)
        bool shiftBefore; // load shifting: the rebound window ends at the event's start (else starts at its end)
        uint16 neutralityBps; // load shifting: |reduction - rebound| <= tolerance x reduction (L-4), <= 10_000
    }

    /// @notice Program parameters given at creation (P-2).
    struct ProgramParams {
        address token; // allowlisted payment token
        uint96 baseRate; // token units per kWh, > 0
        uint8 method; // Baseline.METHOD_*
        uint8 adjWindowHours; // default 3, <= 12
        uint8 adjGapHours; // default 1, <= 12
        uint16 adjCapBps; // default 2_000
        uint16 minDeliveryBps; // default 5_000, <= 10_000
        uint16 bonusCapBps; // over-delivery paid up to commitment × (1 + cap), <= 10_000
        uint8 classMask; // bit = ConsumerClass, 1..7
        uint8 maxEventsPer30Days; // 1..30
        uint16 economicBps; // tier multipliers, 10_000 <= economic <= emergency <= 50_000
        uint16 emergencyBps;
        bool signedData; // settle only on meter-signed records (S-10)
        uint8 gateLeadHours; // enrollment closes this long before the start (V-1): adj window + gap .. 72 h
        uint16 maxShareBps; // most of one event's target one consumer may commit (V-1, P5), 1..10_000
        Basis basis; // import, or net of export (N-1); fixed at creation
        ProgramType programType; // peak shaving, load shifting or emergency response (P-7)
        uint8 shiftHours; // load shifting: rebound window length, 1..12 h (L-1, L-2); else 0
        bool shiftBefore; // load shifting: the rebound window precedes the event (L-2); else false
        uint16 neutralityBps; // load shifting: energy-neutrality tolerance, <= 10_000 (L-4); else 0
    }

    /// @notice A program. Three slots, packed.
    struct Program {
        address utility; // slot 1
        uint16 regionId;
        uint8 method;
        uint8 classMask;
        uint8 adjWindowHours;
        uint8 adjGapHours;
        uint16 adjCapBps;
        uint16 minDeliveryBps;
        uint16 bonusCapBps;
        address token; // slot 2
        uint96 baseRate;
        uint8 maxEventsPer30Days; // slot 3
        uint16 economicBps;
        uint16 emergencyBps;
        bool signedData;
        uint8 gateLeadHours; // enrollment gate: eventStart - gateLeadHours (V-1)
        uint16 maxShareBps; // a consumer commits at most targetWh × maxShareBps / 10_000 (V-1)
        Basis basis; // import or net (N-1)
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The caller is not an active utility of the region (U-7).
    error UtilityNotActive(address utility, uint16 regionId);
    /// @notice Base rate must be positive.
    error InvalidRate();
    /// @notice Class mask must be 1..7.
    error InvalidClassMask(uint8 classMask);
    /// @notice minDeliveryBps and bonusCapBps must be <= 10_000.
    error InvalidDeliveryParams(uint16 minDeliveryBps, uint16 bonusCapBps);
    /// @notice Adjustment window and gap must be <= 12 hours each.
    error InvalidAdjustmentWindow(uint8 windowHours, uint8 gapHours);
    /// @notice Events per 30 days must be 1..30.
    error InvalidEventCap(uint8 maxEventsPer30Days);
    /// @notice Tier multipliers must satisfy 10_000 <= economic <= emergency <= 50_000.
    error InvalidTierMultipliers(uint16 economicBps, uint16 emergencyBps);
    /// @notice The enrollment gate lead must be at least the adjustment window plus its gap and at most 72 hours.
    error InvalidGateLead(uint8 gateLeadHours, uint256 minHours);
    /// @notice The largest share of an event one consumer may hold must be 1..10_000 bps.
    error InvalidMaxShare(uint16 maxShareBps);
    /// @notice No program has this id.
    error UnknownProgram(uint32 programId);
    /// @notice A load-shifting program needs the 10-in-10 method, no day-of adjustment, a rebound window
    /// of 1..12 hours and a neutrality tolerance of at most 10_000 bps (L-1).
    error InvalidLoadShift(uint8 method, uint8 adjWindowHours, uint8 shiftHours, uint16 neutralityBps);
    /// @notice A program that is not load shifting has no rebound window and no tolerance (P-7).
    error InvalidProgramKind(ProgramType programType, uint8 shiftHours, bool shiftBefore, uint16 neutralityBps);
    /// @notice An emergency-response program's events come only from a trigger holder, at the Emergency
    /// tier (P-7, G-14); `triggered` and `tier` are the refused event's.
    error EventOriginNotAllowed(uint32 programId, bool triggered, uint8 tier);

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A program was created and its escrow account opened.
    event ProgramCreated(
        uint32 indexed programId,
        address indexed utility,
        uint16 indexed regionId,
        ProgramParams params
    );

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Create a program for one of the caller's regions and escrow its budget. Active utility only (P-1, P-2).
    /// @param regionId A region in the caller's jurisdiction.
    /// @param params Program parameters.
    /// @param budget Initial budget pulled from the caller (approve the escrow first).
    /// @return programId The new program's id.
    function createProgram(
        uint16 regionId,
        ProgramParams calldata params,
        uint256 budget
    ) external returns (uint32 programId);

    /// @notice A program; reverts UnknownProgram if none has this id.
    function program(uint32 programId) external view returns (Program memory);

    /// @notice What a root payout needs of a program (O-3, O-6): its payment token and its minimum
    /// delivery; reverts UnknownProgram if none has this id.
    /// @param programId The program.
    /// @return token The program's payment token.
    /// @return minDeliveryBps The least delivered share of a commitment that is paid (P-2).
    function paymentTerms(uint32 programId) external view returns (address token, uint16 minDeliveryBps);

    /// @notice A program's type, rebound window and neutrality tolerance (P-7, L-1); reverts UnknownProgram
    /// if none has this id.
    function programKind(uint32 programId) external view returns (ProgramKind memory);

    /// @notice Whether an event may be created in a program now, by this path: reverts UtilityNotActive
    /// unless the program's utility is active in its region (P-3), and EventOriginNotAllowed for an
    /// emergency-response program unless the event is triggered (a TRIGGER_ROLE holder of the ledger) and
    /// of the Emergency tier (P-7); every other program takes every path. The ledger asks before it
    /// creates an event.
    /// @param programId The program (known: the ledger read it first).
    /// @param triggered The event comes from createTriggeredEvent.
    /// @param tier The event's tier (IReductionRequests.Tier as uint8: 2 = Emergency).
    function checkEventAllowed(uint32 programId, bool triggered, uint8 tier) external view;

    /// @notice Number of programs (ids 1..n).
    function programCount() external view returns (uint32);
}
