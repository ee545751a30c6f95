// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IRBTCBalance {
    function balanceOf(address account) external view returns (uint256);
}

/// @title YieldScalesPool: rBTC holders above a minimum join for yield.
/// @notice Participation is recorded by events, so an indexer sees who is in.
contract YieldScalesPool {
    IRBTCBalance public immutable rbtc;
    uint256 public immutable minimumBalance;
    uint256 public participantCount;
    mapping(address => uint256) public joinedAt;

    event ParticipantJoined(address indexed account, uint256 balance, uint256 timestamp);
    event ParticipantLeft(address indexed account, uint256 timestamp);

    error NotEligible(address account, uint256 balance, uint256 minimum);
    error AlreadyParticipant(address account);
    error NotParticipant(address account);

    constructor(IRBTCBalance rbtc_, uint256 minimumBalance_) {
        rbtc = rbtc_;
        minimumBalance = minimumBalance_;
    }

    function joinPool() external {
        if (joinedAt[msg.sender] != 0) revert AlreadyParticipant(msg.sender);
        uint256 balance = rbtc.balanceOf(msg.sender);
        if (balance < minimumBalance) revert NotEligible(msg.sender, balance, minimumBalance);
        joinedAt[msg.sender] = block.timestamp;
        participantCount += 1;
        emit ParticipantJoined(msg.sender, balance, block.timestamp);
    }

    function leavePool() external {
        if (joinedAt[msg.sender] == 0) revert NotParticipant(msg.sender);
        joinedAt[msg.sender] = 0;
        participantCount -= 1;
        emit ParticipantLeft(msg.sender, block.timestamp);
    }
}
