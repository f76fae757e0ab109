// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title NeuraToken
/// @notice The network's currency: ERC-20 with EIP-2612 permit (approve by
/// signature, so a budget can be approved and deposited in one transaction)
/// and burning (slashed stake that nobody earns is destroyed, not kept).
/// The whole supply is minted once, to the genesis holder: there is no owner
/// and no later minting.
contract NeuraToken is ERC20, ERC20Burnable, ERC20Permit {
    constructor(address genesis, uint256 supply) ERC20("Neura", "NEURA") ERC20Permit("Neura") {
        _mint(genesis, supply);
    }

    /// @notice Base units, as the log counts them: amounts in events are integers of these.
    function decimals() public pure override returns (uint8) {
        return 18;
    }
}
