// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title A token for benchmarks: many ERC-20 Transfer events for little gas.
/// @notice The constructor mints the whole supply to the deployer; spray()
/// emits transfers from the caller to a rotating set of holders without
/// storing balances, so that a block holds hundreds of events. The events
/// alone are consistent: replaying them gives every balance.
contract TransferSpray {
    string public constant symbol = "SPRAY";
    uint8 public constant decimals = 18;
    uint256 public constant totalSupply = 1e30;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor() {
        emit Transfer(address(0), msg.sender, totalSupply);
    }

    /// @notice Emits `count` transfers of one unit, to holder number
    /// `(first + i) % holders` for i < count.
    function spray(uint256 count, uint256 holders, uint256 first) external {
        for (uint256 i = 0; i < count; ++i) {
            emit Transfer(
                msg.sender,
                address(uint160(0x10000 + ((first + i) % holders))),
                1
            );
        }
    }
}
