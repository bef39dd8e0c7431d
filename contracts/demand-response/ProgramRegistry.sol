// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IProgramRegistry} from "../interfaces/IProgramRegistry.sol";
import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";
import {IIncentiveEscrow} from "../interfaces/IIncentiveEscrow.sol";
import {Baseline} from "../libraries/Baseline.sol";

/// @title ProgramRegistry
/// @notice Demand-response programs (SPECIFICATION.md §7, P-1, P-2): an active utility creates a
/// program for one of its regions, with validated rules, and escrows its budget. A program never
/// changes after creation, so every event, enrollment and settlement of it runs under the same rules.
/// It needs IncentiveEscrow's PROTOCOL_ROLE (to open the program's account) and holds no roles.
contract ProgramRegistry is IProgramRegistry, ReentrancyGuard {
    uint256 private constant _BPS = 10_000;
    /// @notice The longest enrollment gate lead a program may set (V-1).
    uint8 public constant MAX_GATE_LEAD_HOURS = 72;
    /// @notice The longest rebound window of a load-shifting program, in hours (L-1).
    uint8 public constant MAX_SHIFT_HOURS = 12;
    uint8 private constant _TIER_EMERGENCY = 2; // IReductionRequests.Tier.Emergency

    IUtilityRegistry private immutable _utilities;
    IIncentiveEscrow private immutable _escrow;

    /// @dev A program as stored: Program's fields in its order, then its kind (P-7) in the 40 free bits
    /// of slot 3, so that reading the kind after the program costs warm reads only. Three slots.
    struct Stored {
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
        uint8 gateLeadHours;
        uint16 maxShareBps;
        Basis basis;
        ProgramType programType;
        uint8 shiftHours;
        bool shiftBefore;
        uint16 neutralityBps;
    }

    uint32 private _programCount;
    mapping(uint32 programId => Stored) private _programs;

    /// @param utilities The utility registry (P-1: only an active utility of the region).
    /// @param escrow The escrow that holds every program's budget.
    constructor(IUtilityRegistry utilities, IIncentiveEscrow escrow) {
        _utilities = utilities;
        _escrow = escrow;
    }

    /// @inheritdoc IProgramRegistry
    function createProgram(
        uint16 regionId,
        ProgramParams calldata p,
        uint256 budget
    ) external nonReentrant returns (uint32 programId) {
        if (!_utilities.isActiveUtility(msg.sender, regionId)) revert UtilityNotActive(msg.sender, regionId);
        _validateProgram(p);
        programId = ++_programCount;
        _programs[programId] = Stored({
            utility: msg.sender,
            regionId: regionId,
            method: p.method,
            classMask: p.classMask,
            adjWindowHours: p.adjWindowHours,
            adjGapHours: p.adjGapHours,
            adjCapBps: p.adjCapBps,
            minDeliveryBps: p.minDeliveryBps,
            bonusCapBps: p.bonusCapBps,
            token: p.token,
            baseRate: p.baseRate,
            maxEventsPer30Days: p.maxEventsPer30Days,
            economicBps: p.economicBps,
            emergencyBps: p.emergencyBps,
            signedData: p.signedData,
            gateLeadHours: p.gateLeadHours,
            maxShareBps: p.maxShareBps,
            basis: p.basis,
            programType: p.programType,
            shiftHours: p.shiftHours,
            shiftBefore: p.shiftBefore,
            neutralityBps: p.neutralityBps
        });
        emit ProgramCreated(programId, msg.sender, regionId, p);
        _escrow.openProgram(programId, p.token, msg.sender, budget);
    }

    /// @inheritdoc IProgramRegistry
    function program(uint32 programId) external view returns (Program memory) {
        Stored storage r = _known(programId);
        return
            Program({
                utility: r.utility,
                regionId: r.regionId,
                method: r.method,
                classMask: r.classMask,
                adjWindowHours: r.adjWindowHours,
                adjGapHours: r.adjGapHours,
                adjCapBps: r.adjCapBps,
                minDeliveryBps: r.minDeliveryBps,
                bonusCapBps: r.bonusCapBps,
                token: r.token,
                baseRate: r.baseRate,
                maxEventsPer30Days: r.maxEventsPer30Days,
                economicBps: r.economicBps,
                emergencyBps: r.emergencyBps,
                signedData: r.signedData,
                gateLeadHours: r.gateLeadHours,
                maxShareBps: r.maxShareBps,
                basis: r.basis
            });
    }

    /// @inheritdoc IProgramRegistry
    function paymentTerms(uint32 programId) external view returns (address token, uint16 minDeliveryBps) {
        Stored storage p = _known(programId);
        return (p.token, p.minDeliveryBps);
    }

    /// @inheritdoc IProgramRegistry
    function programKind(uint32 programId) external view returns (ProgramKind memory) {
        Stored storage r = _known(programId);
        return
            ProgramKind({
                programType: r.programType,
                shiftHours: r.shiftHours,
                shiftBefore: r.shiftBefore,
                neutralityBps: r.neutralityBps
            });
    }

    /// @inheritdoc IProgramRegistry
    function checkEventAllowed(uint32 programId, bool triggered, uint8 tier) external view {
        Stored storage p = _programs[programId];
        (address utility, uint16 regionId) = (p.utility, p.regionId);
        if (!_utilities.isActiveUtility(utility, regionId)) revert UtilityNotActive(utility, regionId);
        if (p.programType == ProgramType.EmergencyResponse && (!triggered || tier != _TIER_EMERGENCY))
            revert EventOriginNotAllowed(programId, triggered, tier);
    }

    /// @inheritdoc IProgramRegistry
    function programCount() external view returns (uint32) {
        return _programCount;
    }

    /// @dev The stored program, or UnknownProgram.
    function _known(uint32 programId) private view returns (Stored storage r) {
        r = _programs[programId];
        if (r.utility == address(0)) revert UnknownProgram(programId);
    }

    /// @dev P-2: every parameter in range, the token allowlisted.
    function _validateProgram(ProgramParams calldata p) private view {
        if (!_escrow.isTokenAllowed(p.token)) revert IIncentiveEscrow.TokenNotAllowed(p.token);
        if (p.baseRate == 0) revert InvalidRate();
        if (p.method > Baseline.METHOD_HIGH_FIVE_OF_TEN) revert Baseline.UnknownBaselineMethod(p.method);
        if (p.adjCapBps > _BPS) revert Baseline.InvalidAdjustmentCap(p.adjCapBps);
        if (p.adjWindowHours > 12 || p.adjGapHours > 12)
            revert InvalidAdjustmentWindow(p.adjWindowHours, p.adjGapHours);
        if (p.minDeliveryBps > _BPS || p.bonusCapBps > _BPS)
            revert InvalidDeliveryParams(p.minDeliveryBps, p.bonusCapBps);
        if (p.classMask == 0 || p.classMask > 7) revert InvalidClassMask(p.classMask);
        if (p.maxEventsPer30Days == 0 || p.maxEventsPer30Days > 30) revert InvalidEventCap(p.maxEventsPer30Days);
        if (p.economicBps < _BPS || p.economicBps > p.emergencyBps || p.emergencyBps > 5 * _BPS) {
            revert InvalidTierMultipliers(p.economicBps, p.emergencyBps);
        }
        _validateEnrollment(p);
        _validateKind(p);
    }

    /// @dev P-7, L-1: load shifting on the 10-in-10 baseline without day-of adjustment (the rebound may lie
    /// in the adjustment window), a rebound window of 1..12 hours, a tolerance <= 10_000 bps; no other
    /// type has a rebound window.
    function _validateKind(ProgramParams calldata p) private pure {
        if (p.programType == ProgramType.LoadShifting) {
            if (
                p.method != Baseline.METHOD_TEN_IN_TEN ||
                p.adjWindowHours != 0 ||
                p.shiftHours == 0 ||
                p.shiftHours > MAX_SHIFT_HOURS ||
                p.neutralityBps > _BPS
            ) revert InvalidLoadShift(p.method, p.adjWindowHours, p.shiftHours, p.neutralityBps);
        } else if (p.shiftHours != 0 || p.shiftBefore || p.neutralityBps != 0) {
            revert InvalidProgramKind(p.programType, p.shiftHours, p.shiftBefore, p.neutralityBps);
        }
    }

    /// @dev P-2, V-1: the gate comes no later than the adjustment window's start (so nobody enrolls after
    /// seeing it), and one consumer's share of an event is 1..10_000 bps.
    function _validateEnrollment(ProgramParams calldata p) private pure {
        uint256 minLead = uint256(p.adjWindowHours) + p.adjGapHours;
        if (p.gateLeadHours < minLead || p.gateLeadHours > MAX_GATE_LEAD_HOURS) {
            revert InvalidGateLead(p.gateLeadHours, minLead);
        }
        if (p.maxShareBps == 0 || p.maxShareBps > _BPS) revert InvalidMaxShare(p.maxShareBps);
    }
}
