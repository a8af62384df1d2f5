// The recrypt CLI's exit codes (recrypt(1) lists them). Scripts may rely on these.
#pragma once

namespace recrypt::cli::exit_code {
inline constexpr int ok = 0;
inline constexpr int failure = 1;    // anything not listed below
inline constexpr int usage = 2;      // bad command line
inline constexpr int no_agent = 3;   // the agent cannot be reached
inline constexpr int refused = 4;    // not decryptable by us, or not permitted
inline constexpr int bad_input = 5;  // the input file or a recipient is malformed or altered
inline constexpr int auth = 6;       // wrong PIN or passphrase, or cancelled
inline constexpr int service = 7;    // the recryption service failed or is unreachable
inline constexpr int device = 8;     // the TPM or token failed or is absent
inline constexpr int declined = 9;   // the user said no at the agent's confirmation prompt
inline constexpr int review = 10;    // the recryption waits for an administrator's review
}  // namespace recrypt::cli::exit_code
