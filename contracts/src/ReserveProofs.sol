// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title ReserveProofs: the published roots of chainsync's proofs of reserves.
/// @notice The reconciler publishes the root of each proof's Merkle sum tree
/// (over every account's rBTC at `blockNumber`) with its totals, once per
/// proof id. A user who verifies their inclusion proof against a root checks
/// here that it is the published one: the event, or rootOf(proofId).
contract ReserveProofs {
    address public immutable publisher;

    /// The root published for each proof id; zero for none.
    mapping(uint256 => bytes32) public rootOf;
    /// The newest proof id published.
    uint256 public latestProofId;

    event ReservesProved(uint256 indexed proofId, bytes32 root, uint256 liabilitiesSats,
                         uint256 reservesSats, uint256 blockNumber,
                         uint256 bitcoinTipHeight);

    error NotPublisher(address caller);
    error AlreadyPublished(uint256 proofId, bytes32 root);
    error EmptyRoot();

    constructor(address publisher_) {
        publisher = publisher_;
    }

    /// @notice Publishes a proof's root. A proof id is published once: a
    /// retried publication of the same proof reverts instead of adding a
    /// second event.
    function publish(uint256 proofId, bytes32 root, uint256 liabilitiesSats,
                     uint256 reservesSats, uint256 blockNumber,
                     uint256 bitcoinTipHeight) external {
        if (msg.sender != publisher) revert NotPublisher(msg.sender);
        if (root == bytes32(0)) revert EmptyRoot();
        if (rootOf[proofId] != bytes32(0)) revert AlreadyPublished(proofId, rootOf[proofId]);
        rootOf[proofId] = root;
        if (proofId > latestProofId) latestProofId = proofId;
        emit ReservesProved(proofId, root, liabilitiesSats, reservesSats, blockNumber,
                            bitcoinTipHeight);
    }
}
