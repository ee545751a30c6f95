// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title rBTC: a non-transferable balance mirroring a user's Bitcoin.
/// @notice Balances are in satoshis (8 decimals). Only the oracle contract
/// mints and burns; only the wrapper moves rBTC, to lock it for wrBTC. Every
/// change emits an ERC-20 Transfer (from or to the zero address for mints and
/// burns), so balances can be rebuilt from events alone.
contract RBTCSynth {
    string public constant name = "Reserve BTC Synthetic";
    string public constant symbol = "rBTC";
    uint8 public constant decimals = 8;

    address public immutable owner;
    address public oracle;
    address public wrapper;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event OracleChanged(address indexed oracle);
    event WrapperChanged(address indexed wrapper);

    error NotAuthorized(address caller);
    error InsufficientBalance(address account, uint256 balance, uint256 needed);

    constructor() {
        owner = msg.sender;
    }

    function setOracle(address newOracle) external {
        if (msg.sender != owner) revert NotAuthorized(msg.sender);
        oracle = newOracle;
        emit OracleChanged(newOracle);
    }

    function setWrapper(address newWrapper) external {
        if (msg.sender != owner) revert NotAuthorized(msg.sender);
        wrapper = newWrapper;
        emit WrapperChanged(newWrapper);
    }

    function mint(address to, uint256 amount) external {
        if (msg.sender != oracle) revert NotAuthorized(msg.sender);
        balanceOf[to] += amount;
        totalSupply += amount;
        emit Transfer(address(0), to, amount);
    }

    function burn(address from, uint256 amount) external {
        if (msg.sender != oracle) revert NotAuthorized(msg.sender);
        _debit(from, amount);
        totalSupply -= amount;
        emit Transfer(from, address(0), amount);
    }

    /// @notice Moves rBTC between a holder and the wrapper (wrap, unwrap).
    function wrapperTransfer(address from, address to, uint256 amount) external {
        if (msg.sender != wrapper) revert NotAuthorized(msg.sender);
        _debit(from, amount);
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }

    function _debit(address from, uint256 amount) private {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert InsufficientBalance(from, balance, amount);
        balanceOf[from] = balance - amount;
    }
}
