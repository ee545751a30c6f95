// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IRBTC {
    function balanceOf(address account) external view returns (uint256);
    function mint(address to, uint256 amount) external;
    function burn(address from, uint256 amount) external;
}

interface IFeeVault {
    function balanceOf(address account) external view returns (uint256);
    function charge(address account, uint256 amount) external;
}

/// @title OracleAggregator: mirrors users' Bitcoin balances as rBTC.
/// @notice The committee key reports each user's confirmed balance with
/// sync(); the contract mints or burns the difference and charges the fee
/// from the user's FeeVault deposit. When the fee cannot be paid, the user's
/// rBTC is burned instead (an emergency burn).
contract OracleAggregator {
    IRBTC public immutable rbtc;
    IFeeVault public immutable feeVault;
    address public immutable committee;

    /// The Bitcoin balance last mirrored for each user, in satoshis.
    mapping(address => uint256) public syncedBalance;

    event Synced(address indexed user, uint256 previousBalance, uint256 newBalance,
                 uint256 fee);
    event EmergencyBurn(address indexed user, uint256 amount, string reason);

    error NotCommittee(address caller);
    error LengthMismatch(uint256 users, uint256 balances, uint256 fees);

    constructor(IRBTC rbtc_, IFeeVault feeVault_, address committee_) {
        rbtc = rbtc_;
        feeVault = feeVault_;
        committee = committee_;
    }

    function sync(address user, uint256 newBalanceSats, uint256 fee) external {
        if (msg.sender != committee) revert NotCommittee(msg.sender);
        _sync(user, newBalanceSats, fee);
    }

    /// @notice sync for many users in one transaction, each as sync would:
    /// the same events, an emergency burn for one who cannot pay its fee.
    /// A sweep over thousands of users is not a transaction each.
    function syncBatch(address[] calldata users, uint256[] calldata newBalancesSats,
                       uint256[] calldata fees) external {
        if (msg.sender != committee) revert NotCommittee(msg.sender);
        if (users.length != newBalancesSats.length || users.length != fees.length) {
            revert LengthMismatch(users.length, newBalancesSats.length, fees.length);
        }
        for (uint256 i = 0; i < users.length; ++i) {
            _sync(users[i], newBalancesSats[i], fees[i]);
        }
    }

    function _sync(address user, uint256 newBalanceSats, uint256 fee) private {
        uint256 previous = syncedBalance[user];
        if (fee > 0 && feeVault.balanceOf(user) < fee) {
            _emergencyBurn(user, "insufficient fee balance");
            return;
        }
        if (fee > 0) feeVault.charge(user, fee);
        syncedBalance[user] = newBalanceSats;
        if (newBalanceSats > previous) {
            rbtc.mint(user, newBalanceSats - previous);
        } else if (newBalanceSats < previous) {
            uint256 held = rbtc.balanceOf(user);
            uint256 decrease = previous - newBalanceSats;
            // rBTC locked in wrBTC cannot be burned here; what is left of the
            // decrease stays owed until the user unwraps.
            rbtc.burn(user, decrease < held ? decrease : held);
        }
        emit Synced(user, previous, newBalanceSats, fee);
    }

    /// @notice Burns a user's rBTC now, for example after a key compromise.
    function emergencyBurn(address user, string calldata reason) external {
        if (msg.sender != committee) revert NotCommittee(msg.sender);
        _emergencyBurn(user, reason);
    }

    function _emergencyBurn(address user, string memory reason) private {
        uint256 amount = rbtc.balanceOf(user);
        syncedBalance[user] = 0;
        if (amount > 0) rbtc.burn(user, amount);
        emit EmergencyBurn(user, amount, reason);
    }
}
