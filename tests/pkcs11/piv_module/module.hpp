// State shared by the module's parts: the wrapped SoftHSM2 module, what each session is doing,
// and which objects the card shows.
#pragma once

#include <p11-kit/pkcs11.h>

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "profile.hpp"

namespace piv {

extern CK_FUNCTION_LIST* real;  // SoftHSM2's list
// Every entry point holds it for its whole call (the module is a test fixture: simple beats
// parallel); recursive because one entry point may call another.
extern std::recursive_mutex mu;

struct SessionState {
  bool finding = false;                  // between C_FindObjectsInit and C_FindObjectsFinal
  std::vector<CK_OBJECT_HANDLE> found;   // ... what C_FindObjects still has to hand out
  bool signing = false;                  // a C_SignInit is in progress
  CK_MECHANISM_TYPE sign_mechanism = 0;  // ... with this mechanism
  std::vector<unsigned char> to_hash;    // ... and the data C_SignUpdate gave for it
  bool needs_context_login = false;      // ... on an always-authenticate key
  bool context_login_done = false;       // ... and C_Login(CKU_CONTEXT_SPECIFIC) was given
};
extern std::map<CK_SESSION_HANDLE, SessionState> sessions;

// Session objects the card made (ECDH results) or, in the OpenSC flavour, was given; all other
// objects are visible only as slot keys.
extern std::map<CK_OBJECT_HANDLE, CK_SESSION_HANDLE> session_objects;

// What a handle is to the card.
struct Shown {
  CK_OBJECT_CLASS cls;
  std::optional<Slot> slot;  // set for slot keys; empty for session objects
};
// Reads the object on the underlying token; nullopt if the card would not show it.
std::optional<Shown> shown(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object);

// True when the session is logged in as the user (or SO, for `so`).
bool logged_in(CK_SESSION_HANDLE session, bool so = false);

// The entries each part puts into the function list.
void install_object_functions(CK_FUNCTION_LIST& list);
void install_crypto_functions(CK_FUNCTION_LIST& list);

// Called when a session ends: forgets what it was doing and the objects it made.
void forget_session(CK_SESSION_HANDLE session);

}  // namespace piv
