// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice OpenZeppelin-compatible Merkle inclusion check: pairs are hashed in
/// sorted order (commutative keccak256), so a proof is just the siblings.
library MerkleProof {
    function verify(bytes32[] memory proof, bytes32 root, bytes32 leaf) internal pure returns (bool) {
        return processProof(proof, leaf) == root;
    }

    function processProof(bytes32[] memory proof, bytes32 leaf) internal pure returns (bytes32 computed) {
        computed = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            bytes32 sibling = proof[i];
            computed = computed < sibling
                ? keccak256(abi.encodePacked(computed, sibling))
                : keccak256(abi.encodePacked(sibling, computed));
        }
    }
}

/// @title EventAnchor
/// @notice Anchors the NeuraLink event log: each anchor is the Merkle root over
/// the events of a contiguous range of global positions. Ranges are contiguous
/// and never overlap, so the chain holds one unbroken commitment to history.
contract EventAnchor {
    struct Anchor {
        bytes32 root;
        uint64 fromSeq;
        uint64 toSeq;
        uint64 blockNumber;
    }

    address public immutable owner;
    /// @notice The last global position anchored (0 before the first anchor).
    uint64 public lastSeq;
    Anchor[] private anchors;

    event Anchored(uint256 indexed index, bytes32 indexed root, uint64 fromSeq, uint64 toSeq);

    error NotOwner(address caller);
    error NotContiguous(uint64 expectedFrom, uint64 fromSeq);
    error EmptyRange(uint64 fromSeq, uint64 toSeq);

    constructor() {
        owner = msg.sender;
    }

    function anchor(bytes32 root, uint64 fromSeq, uint64 toSeq) external returns (uint256 index) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        if (fromSeq != lastSeq + 1) revert NotContiguous(lastSeq + 1, fromSeq);
        if (toSeq < fromSeq) revert EmptyRange(fromSeq, toSeq);
        index = anchors.length;
        anchors.push(Anchor(root, fromSeq, toSeq, uint64(block.number)));
        lastSeq = toSeq;
        emit Anchored(index, root, fromSeq, toSeq);
    }

    function anchorCount() external view returns (uint256) {
        return anchors.length;
    }

    function anchorAt(uint256 index) external view returns (Anchor memory) {
        return anchors[index];
    }

    /// @notice Check an event's inclusion proof against a stored anchor.
    function verify(uint256 index, bytes32[] calldata proof, bytes32 leaf) external view returns (bool) {
        return MerkleProof.verify(proof, anchors[index].root, leaf);
    }

    /// @notice Check a proof against any root (e.g. one read from an Anchored log).
    function verifyRoot(bytes32[] calldata proof, bytes32 root, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verify(proof, root, leaf);
    }
}
