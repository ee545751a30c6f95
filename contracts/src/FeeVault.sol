// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title FeeVault: users deposit ETH from which the oracle takes its fees.
contract FeeVault {
    address public immutable owner;
    address public oracle;
    uint256 public collectedFees;
    mapping(address => uint256) public balanceOf;

    event Deposited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event FeeCharged(address indexed account, uint256 amount);
    event OracleChanged(address indexed oracle);

    error NotAuthorized(address caller);
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    error TransferFailed();

    constructor() {
        owner = msg.sender;
    }

    function setOracle(address newOracle) external {
        if (msg.sender != owner) revert NotAuthorized(msg.sender);
        oracle = newOracle;
        emit OracleChanged(newOracle);
    }

    function deposit() external payable {
        balanceOf[msg.sender] += msg.value;
        emit Deposited(msg.sender, msg.value);
    }

    function withdraw(uint256 amount) external {
        _debit(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
        (bool sent, ) = msg.sender.call{value: amount}("");
        if (!sent) revert TransferFailed();
    }

    /// @notice Takes a fee from an account's deposit. Only the oracle.
    function charge(address account, uint256 amount) external {
        if (msg.sender != oracle) revert NotAuthorized(msg.sender);
        _debit(account, amount);
        collectedFees += amount;
        emit FeeCharged(account, amount);
    }

    function _debit(address account, uint256 amount) private {
        uint256 balance = balanceOf[account];
        if (balance < amount) revert InsufficientBalance(account, balance, amount);
        balanceOf[account] = balance - amount;
    }
}
