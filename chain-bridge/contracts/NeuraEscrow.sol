// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title NeuraEscrow
/// @notice Holds the Neura behind the log's promises. Anyone deposits into a
/// named account (a task's budget: "task:<taskId>"; a node's stake:
/// "stake:<nodeId>"; stored under keccak256 of the name); the log only counts
/// a deposit once the bridge has recorded it. When the log settles something (a task ended, a
/// stake withdrawn), the settler posts ONE Merkle root of who is owed what,
/// debiting the accounts that pay for it and burning what nobody earns; each
/// payee then claims its own amount with a proof, once. The settler can move
/// money only into claimable settlements, never to itself.
contract NeuraEscrow {
    using SafeERC20 for IERC20;

    struct Settlement {
        bytes32 root;
        uint128 total;
        uint128 claimed;
    }

    IERC20 public immutable token;
    address public immutable settler;
    /// @notice Deposited and not yet debited by a settlement, per account id (keccak256 of its name).
    mapping(bytes32 accountId => uint256) public balanceOf;
    mapping(bytes32 settlementId => Settlement) public settlements;
    mapping(bytes32 settlementId => mapping(address payee => bool)) public claimed;
    /// @notice Settled and not yet claimed, over all settlements.
    uint256 public unclaimed;

    event Deposited(bytes32 indexed accountId, string account, address indexed from, uint256 amount);
    /// @notice Every settlement says which accounts paid how much, so anyone (the API) can check them against the log.
    event Settled(bytes32 indexed settlementId, bytes32 root, uint256 total, uint256 burned, bytes32[] accountIds, uint256[] debits);
    event Claimed(bytes32 indexed settlementId, address indexed payee, uint256 amount);

    error NotSettler(address caller);
    error ZeroAmount();
    error AlreadySettled(bytes32 settlementId);
    error UnknownSettlement(bytes32 settlementId);
    error DebitsMismatch(uint256 debited, uint256 owed);
    error InsufficientDeposit(bytes32 account, uint256 available, uint256 debit);
    error AlreadyClaimed(bytes32 settlementId, address payee);
    error InvalidProof(bytes32 settlementId, address payee, uint256 amount);

    constructor(IERC20 token_, address settler_) {
        token = token_;
        settler = settler_;
    }

    function deposit(string calldata account, uint256 amount) external {
        _deposit(account, msg.sender, amount);
    }

    /// @notice Approve by EIP-2612 signature and deposit in one transaction. The
    /// depositor is the caller, so nobody can spend someone else's permit into
    /// an account of their choosing. A permit already used (front-run) is fine
    /// as long as the allowance is there.
    function depositWithPermit(string calldata account, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external {
        try IERC20Permit(address(token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _deposit(account, msg.sender, amount);
    }

    function _deposit(string calldata account, address from, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        token.safeTransferFrom(from, address(this), amount);
        bytes32 accountId = keccak256(bytes(account));
        balanceOf[accountId] += amount;
        emit Deposited(accountId, account, from, amount);
    }

    /// @notice Post a settlement: `total` becomes claimable under `root`,
    /// `burned` is destroyed, and together they are debited from the accounts.
    function settle(
        bytes32 settlementId,
        bytes32 root,
        uint128 total,
        uint256 burned,
        bytes32[] calldata accountIds,
        uint256[] calldata debits
    ) external {
        if (msg.sender != settler) revert NotSettler(msg.sender);
        if (settlements[settlementId].root != bytes32(0)) revert AlreadySettled(settlementId);
        uint256 debited = 0;
        if (accountIds.length != debits.length) revert DebitsMismatch(accountIds.length, debits.length);
        for (uint256 i = 0; i < accountIds.length; i++) {
            uint256 available = balanceOf[accountIds[i]];
            if (available < debits[i]) revert InsufficientDeposit(accountIds[i], available, debits[i]);
            balanceOf[accountIds[i]] = available - debits[i];
            debited += debits[i];
        }
        if (debited != uint256(total) + burned) revert DebitsMismatch(debited, uint256(total) + burned);
        settlements[settlementId] = Settlement(root, total, 0);
        unclaimed += total;
        if (burned > 0) ERC20Burnable(address(token)).burn(burned);
        emit Settled(settlementId, root, total, burned, accountIds, debits);
    }

    /// @notice Leaf of a payee's claim: keccak256(keccak256(abi.encode(settlementId, payee, amount))),
    /// as OpenZeppelin's StandardMerkleTree hashes leaves (the outer hash keeps a leaf from passing as a node).
    function leaf(bytes32 settlementId, address payee, uint256 amount) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(settlementId, payee, amount))));
    }

    /// @notice Anyone may submit a claim; the Neura always go to `payee`.
    function claim(bytes32 settlementId, address payee, uint256 amount, bytes32[] calldata proof) external {
        Settlement storage s = settlements[settlementId];
        if (s.root == bytes32(0)) revert UnknownSettlement(settlementId);
        if (claimed[settlementId][payee]) revert AlreadyClaimed(settlementId, payee);
        if (!MerkleProof.verifyCalldata(proof, s.root, leaf(settlementId, payee, amount))) revert InvalidProof(settlementId, payee, amount);
        claimed[settlementId][payee] = true;
        s.claimed += uint128(amount);
        unclaimed -= amount;
        token.safeTransfer(payee, amount);
        emit Claimed(settlementId, payee, amount);
    }
}
