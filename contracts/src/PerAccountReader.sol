// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title PerAccountReader: many view calls in one eth_call, never deployed.
/// @notice Its creation code is sent with eth_call (no `to`): the
/// constructor calls `selector(account)` on `target` for each account and
/// returns the uint256 answers, abi-encoded as uint256[], in place of the
/// code it would deploy, which nodes cap at 24,576 bytes: at most 766
/// answers a call. One request reads hundreds of balances where a request
/// per account would ask the node for the block's state as many times.
contract PerAccountReader {
    error CallFailed(address account);

    constructor(address target, bytes4 selector, address[] memory accounts) {
        uint256[] memory values = new uint256[](accounts.length);
        for (uint256 i = 0; i < accounts.length; ++i) {
            (bool ok, bytes memory answer) =
                target.staticcall(abi.encodeWithSelector(selector, accounts[i]));
            if (!ok || answer.length != 32) revert CallFailed(accounts[i]);
            values[i] = abi.decode(answer, (uint256));
        }
        bytes memory encoded = abi.encode(values);
        assembly {
            return(add(encoded, 32), mload(encoded))
        }
    }
}
